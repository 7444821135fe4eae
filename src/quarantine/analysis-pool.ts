import { errorMessage } from '../errors.js';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { defaultLimits, type AnalysisInput, type AnalysisResult, type ArtifactSource } from '../analyzer/index.js';
import type { FileProfile } from '../analyzer/file-profile.js';
import type { FromWorker, ToWorker, WorkerArtifact, WorkerJob } from '../analyzer/analysis-worker.js';

export interface AnalysisPoolOptions {
  /** Worker threads at most (analyses at once). */
  size: number;
  /** V8 old-generation limit per worker; a worker over it is stopped and its analysis is an `analysis-error`. @default 1024 MB */
  maxOldGenerationMb?: number;
  /** File profiles the pool remembers for all workers (least recently used go first). @default 50_000 */
  maxProfiles?: number;
  log?: (message: string) => void;
}

const loaderUrl = new URL('./analysis-worker-loader.mjs', import.meta.url);
const workerEntry = new URL('../analyzer/analysis-worker.ts', import.meta.url).href;
/** Artifacts remembered with the profile keys of their files. */
const maxArtifacts = 20_000;

interface Job {
  input: AnalysisInput;
  resolve: (result: AnalysisResult) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  jobId: number;
}

/**
 * Runs `analyzeRelease` in worker threads, at most `size` at once, so analyses run in parallel and
 * the event loop keeps serving. Same signature as `analyzeRelease`. The main thread reads each
 * artifact once and transfers its bytes; file profiles computed by any worker are kept here and
 * sent with every later job touching the same artifact, so a baseline is never profiled twice.
 * A worker that crashes or runs out of memory fails only its own analysis and is replaced.
 */
export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private readonly profiles = new Lru<FileProfile>();
  private readonly artifactProfiles = new Lru<string[]>();
  private readonly maxProfiles: number;
  private nextJob = 0;
  private closed = false;
  /** Counters for tests and metrics: profiles sent to workers and profiles workers computed. */
  readonly stats = { jobs: 0, profilesSent: 0, profilesComputed: 0, workerFailures: 0 };

  constructor(private readonly options: AnalysisPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new TypeError(`Expected \`size\` to be an integer from 1 and up, got \`${options.size}\` (${typeof options.size})`);
    this.maxProfiles = options.maxProfiles ?? 50_000;
  }

  /** Analyzes in a worker; resolves like `analyzeRelease`, rejects when the worker fails. */
  analyze = (input: AnalysisInput): Promise<AnalysisResult> => {
    if (this.closed) return Promise.reject(new Error('the analysis pool is closed'));
    return new Promise<AnalysisResult>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.dispatch();
    });
  };

  /** Starts the workers ahead of the first job (a worker takes a moment to load the analyzer), e.g. while artifacts download. */
  warm(): void {
    while (!this.closed && this.slots.length < this.options.size) this.spawn();
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new Error('the analysis pool is closed');
    for (const job of this.waiting.splice(0)) job.reject(closed);
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.job?.reject(closed);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot && this.slots.length < this.options.size) slot = this.spawn();
      if (!slot) return;
      const job = this.waiting.shift();
      if (!job) break;
      slot.job = job;
      slot.jobId = this.nextJob++;
      void this.start(slot, job, slot.jobId);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(loaderUrl, {
      workerData: { entry: workerEntry },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxOldGenerationMb ?? 1024 },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, job: null, jobId: -1 };
    worker.unref();
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (err) => this.onExit(slot, err));
    worker.on('exit', (code) => this.onExit(slot, new Error(`the analysis worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private async start(slot: Slot, job: Job, jobId: number): Promise<void> {
    try {
      const { candidate, previous, cache: _cache, ...rest } = job.input; // the pool's own shared cache replaces a per-call one
      const limit = job.input.limits?.maxArchiveBytes ?? defaultLimits.maxArchiveBytes;
      const [cand, prev] = await Promise.all([readAll(candidate, limit), previous ? readAll(previous, limit) : null]);
      const callbacks: string[] = [];
      const input: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(rest)) {
        if (typeof value === 'function') callbacks.push(key);
        else input[key] = value;
      }
      const profiles = this.knownProfiles([...cand, ...(prev ?? [])]);
      this.stats.jobs++;
      this.stats.profilesSent += profiles.length;
      const message: WorkerJob = {
        type: 'job',
        id: jobId,
        input: input as WorkerJob['input'],
        candidate: cand,
        previous: prev,
        callbacks,
        profiles,
      };
      if (slot.job !== job) return; // the worker died meanwhile; the job was already failed
      const transfer = [...cand, ...(prev ?? [])].flatMap((a) => (a.bytes ? [a.bytes] : []));
      slot.worker.postMessage(message, transfer);
    } catch (err) {
      if (slot.job === job) this.finish(slot, () => job.reject(err as Error));
    }
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    const job = slot.job;
    if (!job || message.id !== slot.jobId) return;
    if (message.type === 'call') {
      const fn = (job.input as unknown as Record<string, unknown>)[message.name] as (...args: unknown[]) => unknown;
      const reply = (answer: Omit<Extract<ToWorker, { type: 'return' }>, 'type' | 'callId'>) => {
        if (slot.job === job) slot.worker.postMessage({ type: 'return', callId: message.callId, ...answer } satisfies ToWorker);
      };
      Promise.resolve()
        .then(() => fn(...message.args))
        .then(
          (value) => reply({ value }),
          (err: unknown) => reply({ error: errorMessage(err) }),
        );
      return;
    }
    if (message.type === 'failed') return this.finish(slot, () => job.reject(new Error(message.message)));
    this.learn(message.artifactProfiles, message.computed);
    this.stats.profilesComputed += message.computed.length;
    this.finish(slot, () => job.resolve(message.result));
  }

  private onExit(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return; // already handled (an error is followed by an exit)
    this.slots.splice(index, 1);
    const job = slot.job;
    slot.job = null;
    if (job) {
      this.stats.workerFailures++;
      const reason =
        (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the analysis ran out of memory (limit ${this.options.maxOldGenerationMb ?? 1024} MB)`
          : `the analysis worker failed (${err.message})`;
      this.options.log?.(reason);
      job.reject(new Error(reason));
    }
    void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }

  private finish(slot: Slot, settle: () => void): void {
    slot.job = null;
    settle();
    this.dispatch();
  }

  private knownProfiles(artifacts: WorkerArtifact[]): [string, FileProfile][] {
    const out = new Map<string, FileProfile>();
    for (const a of artifacts) {
      const keys = a.sha256 ? this.artifactProfiles.get(a.sha256) : undefined;
      for (const key of keys ?? []) {
        const profile = this.profiles.get(key);
        if (profile) out.set(key, profile);
      }
    }
    return [...out];
  }

  private learn(artifactProfiles: [string, string[]][], computed: [string, FileProfile][]): void {
    for (const [key, profile] of computed) this.profiles.set(key, profile, this.maxProfiles);
    for (const [sha, keys] of artifactProfiles) this.artifactProfiles.set(sha, keys, maxArtifacts);
  }
}

/**
 * Reads artifacts into one dedicated ArrayBuffer each (transferable: the worker gets the memory,
 * not a copy), hashing as the bytes arrive. An artifact over `limit` bytes is not buffered; the
 * worker reports it as unreadable, which the analyzer turns into an `analysis-error`.
 */
async function readAll(sources: ArtifactSource[], limit: number): Promise<WorkerArtifact[]> {
  return Promise.all(
    sources.map(async (source): Promise<WorkerArtifact> => {
      const stream = await source.open();
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of stream as AsyncIterable<Buffer | string>) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        total += b.length;
        if (total > limit) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          return { filename: source.filename, sha256: null, bytes: null, problem: `it is larger than the ${limit}-byte limit for one artifact` };
        }
        hash.update(b);
        chunks.push(b);
      }
      const bytes = new ArrayBuffer(total);
      const view = new Uint8Array(bytes);
      let offset = 0;
      for (const c of chunks) {
        view.set(c, offset);
        offset += c.length;
      }
      return { filename: source.filename, sha256: hash.digest('hex'), bytes, problem: null };
    }),
  );
}

/** A Map used as a least-recently-used cache. */
class Lru<V> {
  private readonly entries = new Map<string, V>();

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V, max: number): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
  }
}
