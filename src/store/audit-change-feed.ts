import { parseReleaseId } from '../domain/release-id.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { ReleaseStore } from './release-store.js';

export interface AuditChangeFeed {
  /** Reads what is new now (tests; the timer and any wake-up source do it on their own). */
  poll(): Promise<void>;
  /** Stops the timer and closes the wake-up source. */
  stop(): Promise<void>;
}

/**
 * Says when the audit log may have grown, sooner than a timer would: on PostgreSQL, LISTEN on the
 * channel the audit table's trigger notifies (OpenedDatabase.auditWakeups). Started with the feed's
 * two callbacks, it returns what stops it.
 */
export type AuditWakeups = (feed: {
  /** Something was appended (read now). */
  wake: () => void;
  /** Whether wake-ups are arriving: false while the source is (re)connecting and may miss some. */
  listening: (on: boolean) => void;
}) => { close(): Promise<void> };

/**
 * The entries a first sight writes with the rows it inserts (the new releases' first states). They
 * change no release another replica has cached: a replica holding the package lacks those versions
 * until it reads upstream again, and serves without them meanwhile. So they invalidate nothing,
 * and on PostgreSQL a statement appending only these notifies no one (release migration 11).
 */
export const firstSightActions: ReadonlySet<string> = new Set(['discovered', 'trusted-by-age']);

/** Without a wake-up source, or while it is not listening: often enough for the one-second promise. */
const pollMs = 250;
/** With a listening wake-up source: only in case a notification is lost. */
const safetyPollMs = 5000;

/**
 * Keeps this process's caches coherent with changes other replicas make. Every state change of a
 * release (decision, transition, analysis result, withdrawal) appends an audit entry in the same
 * database, and audit ids become visible in id order (see PgReleaseStore), so reading the entries
 * after the last id seen, a cheap primary-key range read, is a change feed: each entry's release
 * is reported to `changed`, which makes the indexes read that package's releases again.
 *
 * Without `wakeups` it reads every `intervalMs` (default 250 ms), so a decision on one replica is
 * in force on every replica within well under a second. With them it reads on each wake-up and
 * only every `safetyIntervalMs` (default 5 s) besides, in case one is lost; while the source is not
 * listening (starting, reconnecting) it reads every `intervalMs` as without, and once more as
 * soon as it listens again, since what was appended meanwhile was announced to nobody.
 * Reads are one at a time; a wake-up during a read causes one more read after it, so an append
 * committed just after a read's query is not left for the next timer.
 */
export async function startAuditChangeFeed(
  store: ReleaseStore,
  changed: (ecosystem: Ecosystem, name: string) => void,
  options: { intervalMs?: number; safetyIntervalMs?: number; wakeups?: AuditWakeups; log?: (message: string) => void } = {},
): Promise<AuditChangeFeed> {
  const log = options.log ?? ((m: string) => console.error(m));
  // Only what happens from now on: caches start empty, so the past is already in them.
  let cursor = (await store.listAudit({ order: 'newest', limit: 1 }))[0]?.id ?? 0;
  const read = async () => {
    for (;;) {
      const page = await store.listAudit({ afterId: cursor, order: 'oldest', limit: 1000 });
      const packages = new Map<string, { ecosystem: Ecosystem; name: string }>();
      for (const entry of page) {
        if (!/^(npm|pypi):/.test(entry.subject)) continue; // token:…, policy:… are not releases
        if (firstSightActions.has(entry.action)) continue;
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
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const poll = (): Promise<void> => {
    if (!running) {
      running = read()
        .catch((err: unknown) => log(`change feed: ${(err as Error).message}; retrying`))
        .finally(() => (running = null));
      return running;
    }
    // A read is under way and may have queried before this call's cause committed: one more read
    // after it, shared by every call until it starts.
    queued ??= running.then(() => {
      queued = null;
      return poll();
    });
    return queued;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const every = (ms: number) => {
    if (timer) clearInterval(timer);
    timer = setInterval(() => void poll(), ms);
    timer.unref();
  };
  every(options.intervalMs ?? pollMs);
  const source = options.wakeups?.({
    wake: () => void (stopped || poll()),
    listening: (on) => {
      if (stopped) return;
      every(on ? (options.safetyIntervalMs ?? safetyPollMs) : (options.intervalMs ?? pollMs));
      if (on) void poll();
    },
  });
  return {
    poll,
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await source?.close();
    },
  };
}
