/**
 * `node --import tsx bench/first-sweep.ts <policy.yaml>`, with the settings of a filled store in
 * the environment (and AIRLOCK_BENCH_ROOT: the checkout to measure): prints, as one JSON line, the
 * time of a new process's first sweep (opening the stores included) and of a sweep after it.
 * The lifecycle benchmark runs it in a process of its own, as a new server would be.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(process.env.AIRLOCK_BENCH_ROOT ?? path.resolve(here, '..'));


/**
 * Opens the filled stores with the Airlock under test in this process, as a new server process
 * would (the factory the server uses, with its job queue and token store, on SQLite and files or
 * on PostgreSQL and S3 alike), and times the sweep that starts with it, then later ones. Opening the
 * stores is part of the first sweep. The code is imported from `root`, so a side-by-side run
 * measures that checkout's sweeper.
 */
async function timeSweeps(policyFile: string, env: NodeJS.ProcessEnv): Promise<{ firstMs: number; nextMs: number }> {
  const load = <T>(file: string) => import(pathToFileURL(path.join(root, file)).href) as Promise<T>;
  const { createApp } = await load<typeof import('../src/app.js')>('src/app.ts');
  const { loadConfig } = await load<typeof import('../src/config.js')>('src/config.ts');
  const { loadPolicy } = await load<typeof import('../src/policy/load-policy.js')>('src/policy/load-policy.ts');
  const factory = await load<typeof import('../src/store/open-stores.js')>('src/store/open-stores.ts');
  const { openStores } = factory;
  // The code is loaded before the clock starts: the factory loads the PostgreSQL and S3 drivers
  // only when the settings name them (a server has by its first sweep). (A checkout from before
  // that loads them with the factory.)
  if (env.AIRLOCK_DATABASE_URL) await factory.loadPostgresStores?.();
  if (env.AIRLOCK_BLOB_STORE) await factory.loadS3BlobStore?.();
  const config = loadConfig(env);
  const policy = await loadPolicy(policyFile);
  const started = performance.now();
  // As the server opens them (a checkout from before the option ignores it).
  const stores = await openStores(config, () => {}, { serve: true });
  const openedMs = performance.now() - started;
  const airlock = createApp({ config, store: stores.store, tokens: stores.tokens, jobs: stores.jobs, blobs: stores.blobs, clock: { now: () => new Date() }, policy, log: () => {} });
  const createdMs = performance.now() - started;
  try {
    await airlock.review.sweep();
    const firstMs = performance.now() - started;
    if (process.env.AIRLOCK_BENCH_SWEEP_PHASES) console.error(`first sweep: stores open at ${openedMs.toFixed(1)} ms, app created at ${createdMs.toFixed(1)} ms, swept at ${firstMs.toFixed(1)} ms`);
    // The next sweep as the timer's would run it: after what the start began beside the first
    // (recovery, the job queues' first looks) has settled; the median of five.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next: number[] = [];
    for (let i = 0; i < 5; i++) {
      const again = performance.now();
      await airlock.review.sweep();
      next.push(performance.now() - again);
    }
    return { firstMs, nextMs: next.sort((a, b) => a - b)[2]! };
  } finally {
    await airlock.close();
    await stores.close();
  }
}


const policyFile = process.argv[2];
if (!policyFile) throw new Error('usage: first-sweep.ts <policy.yaml>');
console.log(JSON.stringify(await timeSweeps(policyFile, process.env)));
