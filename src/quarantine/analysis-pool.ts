import { errorMessage } from '../errors.js';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { defaultLimits, type AnalysisInput, type AnalysisResult, type ArtifactSource } from '../analyzer/index.js';
import type { ArtifactView } from '../analyzer/artifact-view.js';
import type { FileProfile } from '../analyzer/file-profile.js';
import type { FromWorker, ToWorker, WorkerArtifact, WorkerJob, WorkerProfileTask } from '../analyzer/analysis-worker.js';
import { inShard } from '../analyzer/profile-shard.js';
import type { AnalysisTiming } from './analysis-timing.js';
import { analysisWorkerBundle } from './analysis-worker-bundle.js';

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
/** How long after a pool is made its worker module is built, unless work comes first. */
const bundleAfterMs = 1000;
/** Artifacts remembered with the profile keys of their files. */
const maxArtifacts = 20_000;

/** A job or profile task: what is posted once a worker is free, and who hears of its answer. */
interface Task {
  /** The message for the worker, built when it is posted (so it carries the profiles known then). */
  build(id: number): { message: WorkerJob | WorkerProfileTask; transfer: ArrayBuffer[] };
  /** A job's input, whose functions its worker may call; null for a profile task. */
  input: AnalysisInput | null;
  settle(answer: Answer | Error): void;
  /** A client waits on it: it goes ahead of the others. */
  urgent: boolean;
}

type Answer = Extract<FromWorker, { type: 'done' | 'profiled' }>;

interface Slot {
  worker: Worker;
  task: Task | null;
  taskId: number;
}

export interface AnalyzeOptions {
  /** Told how long the analysis read its artifacts (`read`), profiled large ones (`profile`), waited for a worker (`slot`) and ran (`scan`, `post`). */
  timing?: AnalysisTiming;
  /** A client waits on this analysis: its work goes ahead of background analyses. */
  urgent?: boolean;
}

/** Compressed bytes from which an artifact's files are profiled apart from its job, spread over the workers. */
const profileApartBytes = 256 * 1024;
/** Views of large artifacts kept (a view is the artifact's file list with profiles and manifest text, not its bytes). */
const maxViews = 256;
/** Past this, an artifact is profiled in its job as it comes: each worker profiling it apart holds a copy of its bytes. */
const profileApartMaxBytes = 64 * 1024 * 1024;

/**
 * Runs `analyzeRelease` in worker threads, at most `size` at once, so analyses run in parallel and
 * the event loop keeps serving. Same signature as `analyzeRelease`. The main thread reads each
 * artifact once and transfers its bytes; file profiles computed by any worker are kept here and
 * sent with every later job touching the same artifact, so a baseline is never profiled twice.
 * A large artifact's files are profiled before its job, split over every worker (one large
 * package's analysis uses all cores), seeded with the baseline's profiles, and once only when
 * several analyses need it at the same time (the candidate of one is the baseline of the next).
 * A worker that crashes or runs out of memory fails only its own analysis and is replaced.
 */
export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Task[] = [];
  private readonly profiles = new Lru<FileProfile>();
  private readonly artifactProfiles = new Lru<string[]>();
  /** Large artifacts whose files are being profiled, by sha256. */
  private readonly profiling = new Map<string, Promise<void>>();
  /** Large artifacts as read by their profiling, so their jobs need not read them again (see `viewKey`). */
  private readonly views = new Lru<ArtifactView>();
  private readonly maxProfiles: number;
  /** The worker as one module (see analysisWorkerBundle); null until built, or when it could not be. */
  private bundleUrl: URL | null = null;
  /** The build of that module, once started (see `bundle`); workers are spawned after it settles. */
  private bundled: Promise<void> | null = null;
  private bundleSettled = false;
  private readonly bundleTimer: NodeJS.Timeout;
  /** How the workers started so far were started: from the bundle, or through the TypeScript loader (when it could not be built). */
  readonly started = { bundle: 0, loader: 0 };
  private nextTask = 0;
  private closed = false;
  /** Counters for tests and metrics: profiles sent to workers and profiles workers computed. */
  readonly stats = { jobs: 0, profileTasks: 0, profilesSent: 0, profilesComputed: 0, workerFailures: 0 };

  constructor(private readonly options: AnalysisPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new TypeError(`Expected \`size\` to be an integer from 1 and up, got \`${options.size}\` (${typeof options.size})`);
    this.maxProfiles = options.maxProfiles ?? 50_000;
    // Not at once: a server's first moments (its stores opening, its first sweep) need the cores
    // more than a first analysis that may be minutes away. Work that comes sooner starts the build.
    this.bundleTimer = setTimeout(() => void this.bundle(), bundleAfterMs);
    this.bundleTimer.unref();
  }

  /** Analyzes in a worker; resolves like `analyzeRelease`, rejects when the worker fails. */
  analyze = async (input: AnalysisInput, options: AnalyzeOptions = {}): Promise<AnalysisResult> => {
    if (this.closed) throw new Error('the analysis pool is closed');
    const { timing, urgent = false } = options;
    const { candidate, previous, cache: _cache, ...rest } = input; // the pool's own shared cache replaces a per-call one
    const limit = input.limits?.maxArchiveBytes ?? defaultLimits.maxArchiveBytes;
    const readStarted = performance.now();
    const [cand, prev] = await Promise.all([readAll(candidate, limit), previous ? readAll(previous, limit) : null]);
    timing?.add('read', performance.now() - readStarted);
    const profileStarted = performance.now();
    // The baseline first: most of the candidate's files are the baseline's, and are then known.
    for (const artifact of prev ?? []) await this.profileApart(artifact, input, [], urgent);
    for (const artifact of cand) await this.profileApart(artifact, input, prev ?? [], urgent);
    timing?.add('profile', performance.now() - profileStarted);
    const callbacks: string[] = [];
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (typeof value === 'function') callbacks.push(key);
      else plain[key] = value;
    }
    const answer = await this.run(
      {
        build: (id) => {
          // Artifacts read by their profiling go as views, without their bytes (or profiles: the view has them).
          const sent = (a: WorkerArtifact): WorkerArtifact => {
            const view = a.sha256 ? this.views.get(viewKey(a.sha256, a.filename, input)) : undefined;
            return view ? { ...a, bytes: null, view } : a;
          };
          const [candidate, previous] = [cand.map(sent), prev?.map(sent) ?? null];
          const profiles = this.knownProfiles([...candidate, ...(previous ?? [])].filter((a) => !a.view));
          this.stats.jobs++;
          this.stats.profilesSent += profiles.length;
          const message: WorkerJob = { type: 'job', id, input: plain as WorkerJob['input'], candidate, previous, callbacks, profiles };
          return { message, transfer: [...candidate, ...(previous ?? [])].flatMap((a) => (a.bytes ? [a.bytes] : [])) };
        },
        input,
        urgent,
      },
      timing,
    );
    if (answer.type !== 'done') throw new Error(`the analysis worker answered a job with ${answer.type}`);
    this.learn(answer.artifactProfiles, answer.computed);
    this.stats.profilesComputed += answer.computed.length;
    return answer.result;
  };

  /** Starts the workers ahead of the first job (a worker takes a moment to load the analyzer), e.g. while artifacts download. */
  warm(): void {
    if (!this.bundleSettled) return void this.bundle().then(() => this.warm());
    while (!this.closed && this.slots.length < this.options.size) this.spawn();
  }

  /**
   * Builds the worker module (about 50 ms, once per process), then dispatches what waited for it:
   * every worker starts from the module, none through the TypeScript loader it replaces.
   */
  private bundle(): Promise<void> {
    clearTimeout(this.bundleTimer);
    this.bundled ??= analysisWorkerBundle(this.options.log ?? (() => {})).then((url) => {
      this.bundleUrl = url;
      this.bundleSettled = true;
      if (!this.closed) this.dispatch();
    });
    return this.bundled;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.bundleTimer);
    const closed = new Error('the analysis pool is closed');
    for (const task of this.waiting.splice(0)) task.settle(closed);
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.task?.settle(closed);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /**
   * Profiles a large artifact's files in `size` shards at once, before the job that analyzes it
   * (which then finds every profile known); joins a profiling of the same bytes already under way.
   */
  private async profileApart(artifact: WorkerArtifact, input: AnalysisInput, seed: WorkerArtifact[], urgent: boolean): Promise<void> {
    const { sha256, bytes } = artifact;
    if (!sha256 || !bytes || bytes.byteLength < profileApartBytes || bytes.byteLength > profileApartMaxBytes || this.knowsAll(sha256)) return;
    let flight = this.profiling.get(sha256);
    if (!flight) {
      const shards = this.options.size;
      const known = this.knownProfiles(seed);
      const tasks = Array.from({ length: shards }, (_, shard) =>
        this.run({
          build: (id) => {
            this.stats.profileTasks++;
            // A copy each: the job that follows transfers the original.
            const own = bytes.slice(0);
            const profiles = known.filter(([key]) => inShard(key, shard, shards));
            this.stats.profilesSent += profiles.length;
            const message: WorkerProfileTask = {
              type: 'profile',
              id,
              ecosystem: input.ecosystem,
              ...(input.limits ? { limits: input.limits } : {}),
              artifact: { ...artifact, bytes: own },
              shard,
              shards,
              profiles,
            };
            return { message, transfer: [own] };
          },
          input: null,
          urgent,
        }),
      );
      flight = Promise.all(tasks)
        .then((answers) => {
          const keys: string[] = [];
          const byKey = new Map(known);
          let read: Extract<Answer, { type: 'profiled' }> | null = null;
          for (const answer of answers) {
            if (answer.type !== 'profiled') throw new Error(`the analysis worker answered a profile task with ${answer.type}`);
            this.stats.profilesComputed += answer.computed.length;
            this.learn([], answer.computed);
            for (const [key, profile] of answer.computed) byKey.set(key, profile);
            keys.push(...answer.keys);
            if (answer.view) read = answer;
          }
          this.artifactProfiles.set(sha256, keys, maxArtifacts);
          if (read?.view) this.remember(read.view, read.elsewhere ?? [], byKey, viewKey(sha256, artifact.filename, input));
        })
        .finally(() => this.profiling.delete(sha256));
      this.profiling.set(sha256, flight);
    }
    await flight;
  }

  /** Keeps the view shard 0 read, its other shards' profiles filled in; not when one is missing (its job then reads the bytes). */
  private remember(view: ArtifactView, elsewhere: [string, string][], byKey: Map<string, FileProfile>, key: string): void {
    for (const [path, profileKey] of elsewhere) {
      const file = view.files.get(path);
      const profile = byKey.get(profileKey);
      if (!file || !profile) return;
      file.profile = profile;
    }
    this.views.set(key, view, maxViews);
  }

  /** Queues a task for the next free worker; resolves with the worker's answer. */
  private run(task: Omit<Task, 'settle'>, timing?: AnalysisTiming): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error('the analysis pool is closed'));
    const queuedAt = performance.now();
    let postedAt = 0;
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.push({
        ...task,
        build: (id) => {
          postedAt = performance.now();
          timing?.add('slot', postedAt - queuedAt);
          return task.build(id);
        },
        settle: (answer) => {
          if (answer instanceof Error) return reject(answer);
          timing?.add('scan', answer.ms);
          timing?.add('post', performance.now() - postedAt - answer.ms);
          resolve(answer);
        },
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot && this.slots.length < this.options.size) {
        if (!this.bundleSettled) return void this.bundle();
        slot = this.spawn();
      }
      if (!slot) return;
      const urgent = this.waiting.findIndex((t) => t.urgent);
      const [task] = this.waiting.splice(urgent === -1 ? 0 : urgent, 1);
      if (!task) break;
      slot.task = task;
      slot.taskId = this.nextTask++;
      try {
        const { message, transfer } = task.build(slot.taskId);
        slot.worker.postMessage(message, transfer);
      } catch (err) {
        this.finish(slot, () => task.settle(err as Error));
      }
    }
  }

  private spawn(): Slot {
    this.started[this.bundleUrl ? 'bundle' : 'loader']++;
    const worker = new Worker(this.bundleUrl ?? loaderUrl, {
      workerData: { entry: workerEntry },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxOldGenerationMb ?? 1024 },
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, task: null, taskId: -1 };
    worker.unref();
    worker.on('message', (message: FromWorker) => this.onMessage(slot, message));
    worker.on('error', (err) => this.onExit(slot, err));
    worker.on('exit', (code) => this.onExit(slot, new Error(`the analysis worker exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    const task = slot.task;
    if (!task || message.id !== slot.taskId) return;
    if (message.type === 'call') {
      const fn = (task.input as unknown as Record<string, unknown> | null)?.[message.name] as ((...args: unknown[]) => unknown) | undefined;
      const reply = (answer: Omit<Extract<ToWorker, { type: 'return' }>, 'type' | 'callId'>) => {
        if (slot.task === task) slot.worker.postMessage({ type: 'return', callId: message.callId, ...answer } satisfies ToWorker);
      };
      Promise.resolve()
        .then(() => {
          if (!fn) throw new Error(`the analysis has no ${message.name} to call`);
          return fn(...message.args);
        })
        .then(
          (value) => reply({ value }),
          (err: unknown) => reply({ error: errorMessage(err) }),
        );
      return;
    }
    if (message.type === 'failed') return this.finish(slot, () => task.settle(new Error(message.message)));
    this.finish(slot, () => task.settle(message));
  }

  private onExit(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return; // already handled (an error is followed by an exit)
    this.slots.splice(index, 1);
    const task = slot.task;
    slot.task = null;
    if (task) {
      this.stats.workerFailures++;
      const reason =
        (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `the analysis ran out of memory (limit ${this.options.maxOldGenerationMb ?? 1024} MB)`
          : `the analysis worker failed (${err.message})`;
      this.options.log?.(reason);
      task.settle(new Error(reason));
    }
    void slot.worker.terminate();
    if (!this.closed) this.dispatch();
  }

  private finish(slot: Slot, settle: () => void): void {
    slot.task = null;
    settle();
    this.dispatch();
  }

  /** Whether every file profile of the artifact with this sha256 is known here. */
  private knowsAll(sha256: string): boolean {
    const keys = this.artifactProfiles.get(sha256);
    return keys !== undefined && keys.every((key) => this.profiles.has(key));
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

/** What a view depends on besides the bytes: how the analyzer reads them (ecosystem, file name, limits). */
function viewKey(sha256: string, filename: string, input: AnalysisInput): string {
  return JSON.stringify([sha256, input.ecosystem, filename, input.limits ?? null]);
}

/** A Map used as a least-recently-used cache. */
class Lru<V> {
  private readonly entries = new Map<string, V>();

  has(key: string): boolean {
    return this.entries.has(key);
  }

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
