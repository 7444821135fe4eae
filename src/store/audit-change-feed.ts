import { parseReleaseId } from '../domain/release-id.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { ReleaseStore } from './release-store.js';

export interface AuditChangeFeed {
  /** Reads what is new now (tests; the timer does it every `intervalMs`). */
  poll(): Promise<void>;
  stop(): void;
}

/**
 * Keeps this process's caches coherent with changes other replicas make. Every state change of a
 * release (decision, transition, analysis result, withdrawal) appends an audit entry in the same
 * database, and audit ids become visible in id order (see PgReleaseStore), so reading the entries
 * after the last id seen, a cheap primary-key range read, is a change feed: each entry's release
 * is reported to `changed`, which makes the indexes read that package's releases again.
 * Polled every `intervalMs` (default 250 ms), so a decision on one replica is in force on every
 * replica within well under a second.
 */
export async function startAuditChangeFeed(
  store: ReleaseStore,
  changed: (ecosystem: Ecosystem, name: string) => void,
  options: { intervalMs?: number; log?: (message: string) => void } = {},
): Promise<AuditChangeFeed> {
  const log = options.log ?? ((m: string) => console.error(m));
  // Only what happens from now on: caches start empty, so the past is already in them.
  let cursor = (await store.listAudit({ order: 'newest', limit: 1 }))[0]?.id ?? 0;
  let running: Promise<void> | null = null;
  const read = async () => {
    for (;;) {
      const page = await store.listAudit({ afterId: cursor, order: 'oldest', limit: 1000 });
      const packages = new Map<string, { ecosystem: Ecosystem; name: string }>();
      for (const entry of page) {
        if (!/^(npm|pypi):/.test(entry.subject)) continue; // token:…, policy:… are not releases
        try {
          const id = parseReleaseId(entry.subject);
          packages.set(`${id.ecosystem}:${id.name}`, id);
        } catch {
          // A subject that names no release changes no index.
        }
      }
      for (const { ecosystem, name } of packages.values()) changed(ecosystem, name);
      cursor = page.at(-1)?.id ?? cursor;
      if (page.length < 1000) return;
    }
  };
  const poll = () => {
    // One read at a time; a tick that finds one running waits for it.
    running ??= read()
      .catch((err: unknown) => log(`change feed: ${(err as Error).message}; retrying`))
      .finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => void poll(), options.intervalMs ?? 250);
  timer.unref();
  return { poll, stop: () => clearInterval(timer) };
}
