import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { analyzeRelease, type ReadView } from './analyze-release.js';
import { defaultLimits } from './defaults.js';
import type { ArtifactView } from './artifact-view.js';
import type { FileProfile } from './file-profile.js';
import { inShard } from './profile-shard.js';
import { readArtifact } from './read-artifact.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { AnalysisInput, AnalysisResult, ArchiveLimits, ArtifactSource, ProfileCache } from './types.js';

/**
 * The analysis worker thread: runs `analyzeRelease` on artifacts whose bytes the main thread
 * transferred, one job at a time, so the CPU work never runs on the serving event loop.
 * Functions cannot cross threads, so every function-valued input (e.g. a `dependencyStatus`
 * callback) becomes a stub that asks the main thread and awaits its answer.
 */

/** One artifact as it crosses to the worker: its bytes (transferred, not copied), or why it could not be read. */
export interface WorkerArtifact {
  filename: string;
  /** sha256 of the bytes: the key under which the main thread remembers this artifact's file profiles. */
  sha256: string | null;
  bytes: ArrayBuffer | null;
  /** Set when the bytes could not be had (e.g. over the size limit); opening the artifact then fails with it. */
  problem: string | null;
  /** What reading it gives, when its files were profiled apart (then its bytes are not sent again). */
  view?: ArtifactView;
}

export interface WorkerJob {
  type: 'job';
  id: number;
  /** The analysis input without its artifacts, cache and functions. */
  input: Omit<AnalysisInput, 'candidate' | 'previous' | 'cache'>;
  candidate: WorkerArtifact[];
  previous: WorkerArtifact[] | null;
  /** Names of the input's function-valued fields, answered by the main thread. */
  callbacks: string[];
  /** Profiles the main thread already has for files of these artifacts, keyed `language:sha256`. */
  profiles: [string, FileProfile][];
}

/**
 * Profiles the files of one artifact in shard `shard` of `shards` (see `inShard`), so several
 * workers share one large artifact; the profiles come back for the job that analyzes it.
 */
export interface WorkerProfileTask {
  type: 'profile';
  id: number;
  ecosystem: Ecosystem;
  limits?: Partial<ArchiveLimits>;
  artifact: WorkerArtifact;
  shard: number;
  shards: number;
  /** Profiles the main thread already has (of the baseline's files): those files are not profiled again. */
  profiles: [string, FileProfile][];
}

export interface WorkerReturn {
  type: 'return';
  callId: number;
  value?: unknown;
  error?: string;
}

export type ToWorker = WorkerJob | WorkerProfileTask | WorkerReturn;

export type FromWorker =
  | { type: 'call'; id: number; callId: number; name: string; args: unknown[] }
  | {
      type: 'done';
      id: number;
      result: AnalysisResult;
      /** Profile keys each artifact's files have, by artifact sha256. */
      artifactProfiles: [string, string[]][];
      /** Profiles computed by this job (not sent by the main thread). */
      computed: [string, FileProfile][];
      /** Milliseconds `analyzeRelease` took in the worker. */
      ms: number;
    }
  | {
      type: 'profiled';
      id: number;
      /** The profile keys of the artifact's files in the task's shard. */
      keys: string[];
      /** Profiles computed by this task. */
      computed: [string, FileProfile][];
      /**
       * Shard 0 only: the artifact as read, with the profiles of files in other shards left null,
       * and those files' paths with the keys of their profiles, for the main thread to fill in.
       */
      view?: ArtifactView;
      elsewhere?: [string, string][];
      ms: number;
    }
  | { type: 'failed'; id: number; message: string };



const port = parentPort;
const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextCall = 0;

function post(message: FromWorker): void {
  // Only reached from a message handler on `port`, so it is there; outside a worker there is no one to tell.
  port?.postMessage(message);
}

async function runJob(job: WorkerJob): Promise<void> {
  const known = new Map(job.profiles);
  const computed = new Map<string, FileProfile>();
  const keysByArtifact = new Map<string, Set<string>>();
  // analyzeRelease reads artifacts one after another, so a profile belongs to the one opened last.
  let current: Set<string> | null = null;
  const touch = (key: string) => current?.add(key);
  const cache: ProfileCache = {
    get(key) {
      touch(key);
      return known.get(key) ?? computed.get(key);
    },
    set(key, profile) {
      touch(key);
      computed.set(key, profile);
    },
    get size() {
      return known.size + computed.size;
    },
  };
  const opened = sourceOf((a) => {
    if (!a.sha256) return;
    current = keysByArtifact.get(a.sha256) ?? new Set();
    keysByArtifact.set(a.sha256, current);
  });
  // Artifacts profiled apart come as views: only the others are read.
  const views = new Map<ArtifactSource, ArtifactView>();
  const source = (a: WorkerArtifact) => {
    const s = opened(a);
    if (a.view) views.set(s, a.view);
    return s;
  };
  const read: ReadView = (s, ...rest) => {
    const view = views.get(s);
    return view ? Promise.resolve(view) : readArtifact(s, ...rest);
  };
  const input: AnalysisInput = {
    ...job.input,
    candidate: job.candidate.map(source),
    ...(job.previous ? { previous: job.previous.map(source) } : {}),
    cache,
  };
  for (const name of job.callbacks) {
    (input as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const callId = nextCall++;
        calls.set(callId, { resolve, reject });
        post({ type: 'call', id: job.id, callId, name, args });
      });
  }
  try {
    const started = performance.now();
    const result = await analyzeRelease(input, read);
    const ms = performance.now() - started;
    post({
      type: 'done',
      id: job.id,
      result,
      artifactProfiles: [...keysByArtifact].map(([sha, keys]) => [sha, [...keys]]),
      computed: [...computed],
      ms,
    });
  } catch (err) {
    post({ type: 'failed', id: job.id, message: err instanceof Error ? err.message : String(err) });
  }
}

/** The artifact as the analyzer opens it; `opened` is told before each opening. */
function sourceOf(opened: (a: WorkerArtifact) => void) {
  return (a: WorkerArtifact): ArtifactSource => ({
    filename: a.filename,
    async open() {
      opened(a);
      if (!a.bytes) throw new Error(a.problem ?? 'its bytes were not available');
      return Readable.from([Buffer.from(a.bytes)]);
    },
  });
}

async function runProfile(task: WorkerProfileTask): Promise<void> {
  const known = new Map(task.profiles);
  const computed = new Map<string, FileProfile>();
  const keys = new Set<string>();
  // What the reader is given for a file outside the shard: one object per key, so the file can be told apart and named.
  const elsewhere = new Map<FileProfile, string>();
  const cache: ProfileCache = {
    get(key) {
      if (!inShard(key, task.shard, task.shards)) {
        const stand: FileProfile = { language: 'js', tolerant: false, capabilities: [] };
        elsewhere.set(stand, key);
        return stand;
      }
      keys.add(key);
      return known.get(key) ?? computed.get(key);
    },
    set(key, profile) {
      computed.set(key, profile);
    },
    get size() {
      return known.size + computed.size;
    },
  };
  try {
    const started = performance.now();
    const view = await readArtifact(sourceOf(() => {})(task.artifact), task.ecosystem, { ...defaultLimits, ...task.limits }, cache);
    const ms = performance.now() - started;
    if (task.shard !== 0) return post({ type: 'profiled', id: task.id, keys: [...keys], computed: [...computed], ms });
    const paths: [string, string][] = [];
    for (const file of view.files.values()) {
      const key = file.profile ? elsewhere.get(file.profile) : undefined;
      if (key === undefined) continue;
      file.profile = null;
      paths.push([file.path, key]);
    }
    post({ type: 'profiled', id: task.id, keys: [...keys], computed: [...computed], view, elsewhere: paths, ms });
  } catch (err) {
    post({ type: 'failed', id: task.id, message: err instanceof Error ? err.message : String(err) });
  }
}

port?.on('message', (message: ToWorker) => {
  if (message.type === 'return') {
    const call = calls.get(message.callId);
    calls.delete(message.callId);
    if (message.error !== undefined) call?.reject(new Error(message.error));
    else call?.resolve(message.value);
    return;
  }
  void (message.type === 'profile' ? runProfile(message) : runJob(message));
});
