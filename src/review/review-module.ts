import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import type { ArtifactProvider } from '../quarantine/artifact-provider.js';
import type { Ecosystem } from '../release-id.js';

// Scaffold: replaced by the review module (API, web page, auth).
export function createReviewModule(
  ctx: AppContext,
  artifacts: Record<Ecosystem, ArtifactProvider>,
): { router: Router; close?(): Promise<void> } {
  void ctx;
  void artifacts;
  return { router: Router() };
}
