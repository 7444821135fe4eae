import type { Router } from 'express';
import type { ArtifactProvider } from '../quarantine/artifact-provider.js';

/** What each ecosystem module gives the app: its client routes and its artifacts for analysis. */
export interface EcosystemModule {
  router: Router;
  artifacts: ArtifactProvider;
  /** Resolves once the background work requests started (not analyses) is done; for tests. */
  idle?(): Promise<void>;
  /** Stops timers and waits for in-flight background work. */
  close?(): Promise<void>;
}
