import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './log/create-logger.js';
import type { Metrics } from './metrics.js';
import type { Policy } from './policy/policy.js';
import type { AuthFailureLimiter } from './http/auth-failure-limiter.js';
import type { Quarantine } from './quarantine/quarantine.js';
import type { BlobStore } from './store/blob-store.js';
import type { JobQueue } from './store/job-queue.js';
import type { ReleaseStore } from './store/release-store.js';
import type { TokenStore } from './store/token-store.js';

/** What `createApp` needs: everything with state or I/O is passed in, nothing is a module singleton. */
export interface AppDeps {
  config: Config;
  store: ReleaseStore;
  blobs: BlobStore;
  clock: Clock;
  /** The policy, or a function returning the current one (for reloads). */
  policy: Policy | (() => Policy);
  /** Structured log (pino). @default JSON lines (or pretty in a terminal) on stdout at `config.logLevel` */
  logger?: Logger;
  /** Where plain operational messages go. @default the logger, at warn */
  log?: (message: string) => void;
  /** API tokens and web sessions. @default a SQLite store on `<storageDir>/airlock.db` */
  tokens?: TokenStore;
  /**
   * Background jobs in the database, shared by every replica. When given, webhook deliveries go
   * through it (an outbox: delivered by whichever replica claims them, retried across restarts).
   */
  jobs?: JobQueue;
}

/** Shared by every route module. */
export interface AppContext {
  config: Config;
  store: ReleaseStore;
  blobs: BlobStore;
  clock: Clock;
  policy: () => Policy;
  quarantine: Quarantine;
  metrics: Metrics;
  /** Plain operational messages (warnings); events with fields go to `logger`. */
  log: (message: string) => void;
  logger: Logger;
  /** Set from `AppDeps.tokens`, or opened on first use by the review module. */
  tokens?: TokenStore;
  jobs?: JobQueue;
  /** Failed-authentication counts for rate limiting; created by `createApp`. */
  authFailures?: AuthFailureLimiter;
}
