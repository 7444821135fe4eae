import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../test/helpers/postgres.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { freePort } from '../test/helpers/verdaccio.js';
import { fetchBody, peakRssMB, table, waitFor } from './bench-tools.js';
import { clusterCpuMs, mainThreadCpuMs, processCpuMs, threadCpuMs, threadNames } from './process-cpu.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The Airlock under test; `AIRLOCK_BENCH_ROOT` points at another checkout to measure it side by side (e.g. before a change). */
const root = path.resolve(process.env.AIRLOCK_BENCH_ROOT ?? path.resolve(here, '..'));

/** Targets from issue 9. */
const targets = { readVsDirect: 3, idleCpuPercent: 1, warmLatencyRatio: 1.5, rssMB: 400 };
const packages = Number(process.env.AIRLOCK_BENCH_PACKAGES ?? 2000);
const versionsPerPackage = 200;
const idleSeconds = Number(process.env.AIRLOCK_BENCH_IDLE_SECONDS ?? 60);
/**
 * The read through Airlock stops after this long, so a slow Airlock (one whose cost grew with what
 * it stored) still finishes the run; the figure is then extrapolated from what was read, a lower bound.
 */
const readLimitSeconds = Number(process.env.AIRLOCK_BENCH_READ_LIMIT_SECONDS ?? 600);
/** npm's default socket count per registry. */
const concurrency = 16;
const latencySamples = 60;
const corgiAccept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/** Target from issue 10: PostgreSQL + S3 within this factor of SQLite + files on each figure. */
const engineTarget = 1.5;

/** Which store a run uses: the embedded default, or PostgreSQL and an S3 bucket as replicas share them. */
interface LifecycleEngine {
  label: string;
  /** Settings added to Airlock's environment. */
  env: Record<string, string>;
  /** A PostgreSQL server's port, to measure the server's own CPU while Airlock idles. */
  databasePort?: number;
}

/** What one run measured (times in ms unless named otherwise). */
interface LifecycleFigures {
  readSeconds: number;
  directSeconds: number;
  idleCpuPercent: number;
  databaseIdleCpuPercent: number | null;
  latencyBeforeMs: number;
  latencyAfterMs: number;
  rssMB: number;
  sweepFirstMs: number;
  sweepNextMs: number;
  stored: number | null;
}

/**
 * lifecycle benchmark, SQLite + files beside PostgreSQL + S3 (`AIRLOCK_BENCH_ENGINES`, default
 * `sqlite,postgres`): the run below once per engine, then both side by side with their ratio.
 * PostgreSQL is a local cluster (fsync off) and S3 is s3rver, both on loopback and started with
 * the helpers the tests use; `AIRLOCK_BENCH_PACKAGES` shrinks the dataset for a quick run.
 */
export async function benchLifecycle(): Promise<void> {
  const wanted = (process.env.AIRLOCK_BENCH_ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim());
  const results: { engine: LifecycleEngine; figures: LifecycleFigures }[] = [];
  let roundTripMs: number | null = null;
  let newConnectionMs: number | null = null;
  if (wanted.includes('sqlite')) {
    const engine = { label: 'SQLite + files', env: {} };
    results.push({ engine, figures: await lifecycleRun(engine) });
  }
  if (wanted.includes('postgres')) {
    const cluster = await startPostgres();
    const s3 = await startS3rver();
    try {
      const url = await cluster.createDatabase('lifecycle');
      const engine: LifecycleEngine = {
        label: 'PostgreSQL + S3',
        env: {
          AIRLOCK_DATABASE_URL: url,
          AIRLOCK_BLOB_STORE: `s3://${s3.bucket}/lifecycle/`,
          AIRLOCK_S3_ENDPOINT: s3.endpoint,
          AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
          AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        },
        databasePort: Number(new URL(url).port),
      };
      results.push({ engine, figures: await lifecycleRun(engine) });
      roundTripMs = await meanRoundTripMs(url);
      newConnectionMs = await newProcessFirstQueryMs(url);
    } finally {
      await s3.stop();
      await cluster.stop();
    }
  }
  const [a, b] = results;
  if (!a || !b) return;
  const x = a.figures;
  const y = b.figures;
  // `floorMs`: the least the figure can cost on PostgreSQL (its round trips); past the target
  // because of it, the result says so instead of a plain FAIL.
  const row = (label: string, first: number, second: number, digits: number, unit: string, floorMs?: number) => {
    const r = first > 0 ? second / first : Infinity;
    const floorOver = floorMs !== undefined && floorMs / first > engineTarget;
    const result = r <= engineTarget ? 'PASS' : floorOver ? `FAIL: floor ${(floorMs / first).toFixed(0)}×` : 'FAIL';
    return [label, `${first.toFixed(digits)} ${unit}`, `${second.toFixed(digits)} ${unit}`, `${r.toFixed(2)}×`, result];
  };
  console.log(`\nlifecycle, ${a.engine.label} beside ${b.engine.label} (${packages} packages × ${versionsPerPackage} versions, one run each):`);
  console.log(
    table(
      ['figure', a.engine.label, b.engine.label, 'ratio', `≤ ${engineTarget}×`],
      [
        row('read all packuments through Airlock', x.readSeconds, y.readSeconds, 1, 's'),
        row('Airlock CPU while idle (% of one core)', x.idleCpuPercent, y.idleCpuPercent, 2, '%'),
        row('warm small packument p50, filled store', x.latencyAfterMs, y.latencyAfterMs, 2, 'ms'),
        row('first sweep in a new process (median of 5)', x.sweepFirstMs, y.sweepFirstMs, 0, 'ms'),
        // Nothing due: the sweep is one query (the releases due), so one round trip at least.
        row('one sweep (nothing due)', x.sweepNextMs, y.sweepNextMs, 2, 'ms', roundTripMs ?? undefined),
        row('peak RSS of Airlock', x.rssMB, y.rssMB, 0, 'MB'),
        ['PostgreSQL server CPU while idle', '', y.databaseIdleCpuPercent === null ? 'unknown' : `${y.databaseIdleCpuPercent.toFixed(2)} %`, '', ''],
        ['releases in the store', String(x.stored ?? 'unknown'), String(y.stored ?? 'unknown'), '', ''],
      ],
    ),
  );
  if (roundTripMs !== null)
    console.log(
      `Round-trip floor: one SELECT 1 to PostgreSQL on loopback takes ${(roundTripMs * 1000).toFixed(0)} µs here (mean of 500); ` +
        `"floor N×": one round trip is already N× SQLite's in-process figure, so no query can meet ${engineTarget}× there.`,
    );
  if (newConnectionMs !== null)
    console.log(
      `A new process's first query: connecting and one SELECT 1, with the driver loaded but its code never run, takes ${newConnectionMs.toFixed(1)} ms here ` +
        `(median of ${sweepProcesses} processes): the part of a first sweep on PostgreSQL that SQLite, in the process, has no counterpart for.`,
    );
  console.log('The database server and s3rver are processes of their own: their memory is not in Airlock\'s RSS. Both engines ran on this machine at its load of the moment.');
}

/**
 * Waits until no autovacuum worker has run on the cluster at `url` for half a second (at most two
 * minutes); returns the seconds waited.
 */
async function databaseAtRest(url: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  try {
    let quiet = 0;
    while (quiet < 2 && performance.now() - started < 120_000) {
      const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'");
      quiet = rows[0]?.n === 0 ? quiet + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

/** A new process's first query to `url` (pg loaded first, untimed): the median over `sweepProcesses` processes, in ms. */
async function newProcessFirstQueryMs(url: string): Promise<number> {
  const script = `const { default: pg } = await import('pg'); const t = performance.now(); const c = new pg.Client({ connectionString: process.env.URL }); await c.connect(); await c.query('SELECT 1'); console.log(performance.now() - t); await c.end();`;
  const times: number[] = [];
  for (let i = 0; i < sweepProcesses; i++) {
    const ms = Number(await lastLineOf(['--input-type=module', '-e', script], { URL: url }, 'the first-query probe'));
    if (!Number.isFinite(ms)) throw new Error(`the first-query probe printed no time`);
    times.push(ms);
  }
  return median(times);
}

/** The middle of `values` (sorted in place). */
function median(values: number[]): number {
  return values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Runs Node with `args` in a process of its own (`env` added) and answers the last line it printed; `what` names it in the error when it fails. */
async function lastLineOf(args: string[], env: Record<string, string>, what: string): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${what} failed (exit ${code}): ${out.slice(-500)}`);
  return out.trim().split('\n').pop() ?? '';
}

/**
 * One lifecycle run on one engine: a local upstream generates packuments for 2,000 packages × 200 old versions
 * (400,000 releases). Airlock runs as `npm start` does, in a child process, with real settings. It
 * prints the time to read every packument through Airlock and directly, Airlock's CPU while idle for
 * 60 s afterwards, a small warm packument's median latency before and after the store fills, the
 * time of one sweep over the filled store, and Airlock's peak RSS.
 */
async function lifecycleRun(engine: LifecycleEngine): Promise<LifecycleFigures> {
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-lifecycle-'));
  let child: ChildProcess | null = null;
  let upstream: Server | null = null;
  try {
    const upstreamPort = await freePort();
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}/`;
    const names = Array.from({ length: packages }, (_, i) => `pkg-${String(i).padStart(4, '0')}`);
    upstream = createServer((req, res) => {
      const name = decodeURIComponent(req.url!.split('?')[0]!.slice(1));
      const body = name === 'tiny-pkg' ? packument(name, 1, upstreamUrl) : /^pkg-\d{4}$/.test(name) ? packument(name, versionsPerPackage, upstreamUrl) : null;
      if (!body) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
    upstream.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => upstream!.listen(upstreamPort, '127.0.0.1', resolve));

    const airlockPort = await freePort();
    const storage = path.join(work, 'airlock');
    const policyFile = path.join(work, 'policy.yaml');
    await writeFile(policyFile, 'cooldown: 72h\n');
    const env = { AIRLOCK_PORT: String(airlockPort), AIRLOCK_STORAGE: storage, AIRLOCK_POLICY: policyFile, AIRLOCK_NPM_UPSTREAM: upstreamUrl, AIRLOCK_PYPI_UPSTREAM: 'http://127.0.0.1:9/', ...engine.env };
    // AIRLOCK_BENCH_NODE_ARGS adds Node options for Airlock only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = (process.env.AIRLOCK_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(root, 'src/main.ts')], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const airlockUrl = `http://127.0.0.1:${airlockPort}/`;
    await waitFor(`${airlockUrl}healthz`, child);
    const pid = child.pid!;
    console.log(`lifecycle on ${engine.label}: Airlock from ${root}; upstream of ${packages} packages × ${versionsPerPackage} versions published over a year ago`);

    // A small packument, warm, before the store fills.
    const tiny = `${airlockUrl}npm/tiny-pkg`;
    await fetchBody(tiny, { accept: corgiAccept });
    const latencyBefore = await medianLatency(tiny);

    const direct = await readAll(names.map((n) => `${upstreamUrl}${n}`), Infinity);
    const readCpuBefore = processCpuMs(pid);
    const databaseReadBefore = engine.databasePort ? clusterCpuMs(engine.databasePort) : null;
    const readMainBefore = mainThreadCpuMs(pid);
    const threadsBefore = threadCpuMs(pid);
    const benchCpuBefore = process.cpuUsage();
    const through = await readAll(names.map((n) => `${airlockUrl}npm/${n}`), readLimitSeconds);
    // Airlock's own CPU for the read: steadier than the wall time on a shared machine, and what the wall time is made of.
    const readCpuSeconds = (processCpuMs(pid) - readCpuBefore) / 1000;
    const databaseReadSeconds = engine.databasePort && databaseReadBefore !== null ? (clusterCpuMs(engine.databasePort) - databaseReadBefore) / 1000 : null;
    const readMainSeconds = (mainThreadCpuMs(pid) - readMainBefore) / 1000;
    // This process (the client and the upstream) shares the machine's cores with Airlock.
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const readBenchSeconds = (benchCpu.user + benchCpu.system) / 1e6;
    // The threads beside the event loop (GC helpers, the thread pool, which compresses), by name.
    const readOthers = otherThreadsByName(pid, threadsBefore, (ms) => `${(ms / 1000).toFixed(2)} s`);
    const directSeconds = direct.seconds;
    const airlockSeconds = (through.seconds / through.read) * names.length;
    const partial = through.read < names.length ? ` (≥; ${through.read} of ${names.length} read in ${readLimitSeconds} s)` : '';
    const stored = await releasesKnown(airlockUrl);
    // AIRLOCK_BENCH_HEAP_SNAPSHOT=<seconds>: with `--heapsnapshot-signal=SIGUSR2` in AIRLOCK_BENCH_NODE_ARGS, Airlock
    // writes a heap snapshot of the filled store (what it keeps, not its garbage), given that long before idling.
    const snapshotSeconds = Number(process.env.AIRLOCK_BENCH_HEAP_SNAPSHOT ?? 0);
    if (snapshotSeconds > 0) {
      process.kill(pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, snapshotSeconds * 1000));
    }

    // Idle: nothing asks Airlock anything; its timers (sweeps) are all that may run.
    await new Promise((r) => setTimeout(r, 2000));
    const cpuBefore = processCpuMs(pid) / 1000;
    const idleMainBefore = mainThreadCpuMs(pid);
    const idleThreadsBefore = threadCpuMs(pid);
    const databaseCpuBefore = engine.databasePort ? clusterCpuMs(engine.databasePort) / 1000 : null;
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpuPercent = ((processCpuMs(pid) / 1000 - cpuBefore) / idleSeconds) * 100;
    const idleMainPercent = ((mainThreadCpuMs(pid) - idleMainBefore) / 1000 / idleSeconds) * 100;
    const idleOthers = otherThreadsByName(pid, idleThreadsBefore, (ms) => `${((ms / 1000 / idleSeconds) * 100).toFixed(2)} %`);
    const databaseIdleCpuPercent =
      engine.databasePort && databaseCpuBefore !== null ? ((clusterCpuMs(engine.databasePort) / 1000 - databaseCpuBefore) / idleSeconds) * 100 : null;

    const latencyAfter = await medianLatency(tiny);
    const rss = peakRssMB(pid);
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = null;

    // The first sweeps of new processes on the filled store (see timeSweeps), on PostgreSQL once
    // its autovacuum is done with what the read wrote: two cores shared with that work timed it.
    const restedSeconds = engine.env.AIRLOCK_DATABASE_URL ? await databaseAtRest(engine.env.AIRLOCK_DATABASE_URL) : null;
    if (restedSeconds !== null) console.log(`PostgreSQL at rest (no autovacuum worker) after ${restedSeconds.toFixed(1)} s`);
    const sweep = await timeSweeps(policyFile, env);

    const ratio = (x: number, y: number) => (y > 0 ? x / y : Infinity);
    const rows: [string, string, string, number, number][] = [
      // label, value, target, ratio-or-value compared, limit
      ['read all packuments: through Airlock / direct', `${airlockSeconds.toFixed(1)} s${partial} / ${directSeconds.toFixed(1)} s`, `≤ ${targets.readVsDirect}×`, ratio(airlockSeconds, directSeconds), targets.readVsDirect],
      ['Airlock CPU while idle (% of one core)', `${idleCpuPercent.toFixed(2)} % over ${idleSeconds} s (main thread ${idleMainPercent.toFixed(2)} %)`, `≤ ${targets.idleCpuPercent} %`, idleCpuPercent, targets.idleCpuPercent],
      ['warm small packument p50: filled / empty store', `${latencyAfter.toFixed(2)} ms / ${latencyBefore.toFixed(2)} ms`, `≤ ${targets.warmLatencyRatio}×`, ratio(latencyAfter, latencyBefore), targets.warmLatencyRatio],
      ['peak RSS', `${rss.toFixed(0)} MB`, `≤ ${targets.rssMB} MB`, rss, targets.rssMB],
    ];
    console.log(
      table(
        ['figure', 'measured', 'target', 'ratio', 'result'],
        [
          ...rows.map(([label, value, target, x, limit]) => [label, value, target, label === 'peak RSS' || label.startsWith('Airlock CPU') ? '' : `${x.toFixed(2)}×`, x <= limit ? 'PASS' : 'FAIL']),
          ['Airlock CPU while idle, other threads by name', idleOthers, '', '', ''],
          ['Airlock CPU during the read: all threads / main', `${readCpuSeconds.toFixed(1)} s / ${readMainSeconds.toFixed(1)} s`, '', '', ''],
          ['Airlock CPU during the read, other threads by name', readOthers, '', '', ''],
          ['bench CPU during the read (client and upstream)', `${readBenchSeconds.toFixed(1)} s`, '', '', ''],
          ...(databaseReadSeconds === null ? [] : [['PostgreSQL server CPU during the read', `${databaseReadSeconds.toFixed(1)} s`, '', '', '']]),
          ['releases in the store', String(stored ?? 'unknown'), `${packages * versionsPerPackage + 1}`, '', ''],
          ['first sweep in a new process', `${sweep.firstMs.toFixed(0)} ms (median of ${sweepProcesses}; ${sweep.firstRangeMs[0].toFixed(0)}–${sweep.firstRangeMs[1].toFixed(0)} ms)`, '', '', ''],
          ['one sweep (nothing due)', `${sweep.nextMs.toFixed(2)} ms`, '', '', ''],
        ],
      ),
    );
    return {
      readSeconds: airlockSeconds,
      directSeconds,
      idleCpuPercent,
      databaseIdleCpuPercent,
      latencyBeforeMs: latencyBefore,
      latencyAfterMs: latencyAfter,
      rssMB: rss,
      sweepFirstMs: sweep.firstMs,
      sweepNextMs: sweep.nextMs,
      stored,
    };
  } finally {
    child?.kill('SIGKILL');
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The CPU each name of Airlock's other threads (GC helpers, thread pool, analysis workers) used
 * since `before` was read, largest first, each formatted by `format` (ms in).
 */
function otherThreadsByName(pid: number, before: Map<number, number>, format: (ms: number) => string): string {
  const byName = new Map<string, number>();
  const threadName = threadNames(pid);
  for (const [tid, ms] of threadCpuMs(pid)) {
    if (tid === pid) continue;
    const name = threadName.get(tid) ?? 'ended';
    byName.set(name, (byName.get(name) ?? 0) + ms - (before.get(tid) ?? 0));
  }
  return [...byName].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).map(([name, ms]) => `${name} ${format(ms)}`).join(', ') || 'none';
}

/** Reads every URL (corgi, as npm asks) with `concurrency` requests in flight, starting none after `limitSeconds`. */
async function readAll(urls: string[], limitSeconds: number): Promise<{ seconds: number; read: number }> {
  const started = performance.now();
  const deadline = started + limitSeconds * 1000;
  let next = 0;
  let read = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < urls.length && performance.now() < deadline) {
        await fetchBody(urls[next++]!, { accept: corgiAccept });
        read++;
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, read };
}

/** Median of sequential request times, in ms. */
async function medianLatency(url: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < latencySamples; i++) {
    const started = performance.now();
    await fetchBody(url, { accept: corgiAccept });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Sum of the release gauges, i.e. how many releases Airlock recorded (null when it cannot tell). */
async function releasesKnown(airlockUrl: string): Promise<number | null> {
  const text = (await fetchBody(`${airlockUrl}metrics`, {})).toString();
  const counts = [...text.matchAll(/^airlock_releases\{[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
  return counts.length ? counts.reduce((a, b) => a + b, 0) : null;
}

/** A packument of `count` versions all published over a year ago (so trusted by age, no analysis). */
function packument(name: string, count: number, upstream: string): Buffer {
  const longAgo = Date.now() - 400 * 86_400_000;
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = { created: new Date(longAgo - 86_400_000).toISOString() };
  let latest = '';
  for (let i = 0; i < count; i++) {
    const version = `${Math.floor(i / 100) + 1}.${Math.floor(i / 10) % 10}.${i % 10}`;
    const digest = createHash('sha512').update(`${name}@${version}`).digest();
    versions[version] = {
      name,
      version,
      description: `release ${version} of ${name}`,
      main: 'index.js',
      license: 'MIT',
      dependencies: { 'tiny-pkg': '^1.0.0' },
      _id: `${name}@${version}`,
      dist: {
        tarball: `${upstream}${name}/-/${name}-${version}.tgz`,
        shasum: digest.subarray(0, 20).toString('hex'),
        integrity: `sha512-${digest.toString('base64')}`,
      },
    };
    time[version] = new Date(longAgo + i * 60_000).toISOString();
    latest = version;
  }
  time.modified = time[latest]!;
  return Buffer.from(JSON.stringify({ name, 'dist-tags': { latest }, versions, time }));
}

/**
 * The first sweep of a new process and a later one, timed in processes of their own (see
 * first-sweep.ts: in this one, the garbage of the whole run could be collected in the middle):
 * the medians of `sweepProcesses` new processes, one after another, since one start of ~20 ms on
 * a shared machine is mostly its noise.
 */
async function timeSweeps(policyFile: string, env: Record<string, string>): Promise<{ firstMs: number; nextMs: number; firstRangeMs: [number, number] }> {
  const runs: { firstMs: number; nextMs: number }[] = [];
  for (let i = 0; i < sweepProcesses; i++) {
    const line = await lastLineOf(['--import', 'tsx', path.join(here, 'first-sweep.ts'), policyFile], { ...env, AIRLOCK_BENCH_ROOT: root }, 'first-sweep.ts');
    if (!line.startsWith('{')) throw new Error(`first-sweep.ts printed no figures: ${line}`);
    runs.push(JSON.parse(line) as { firstMs: number; nextMs: number });
  }
  const firsts = runs.map((r) => r.firstMs);
  return { firstMs: median([...firsts]), nextMs: median(runs.map((r) => r.nextMs)), firstRangeMs: [Math.min(...firsts), Math.max(...firsts)] };
}

/** New processes whose first sweeps `timeSweeps` takes the median of. */
const sweepProcesses = 5;

/** The mean time of one prepared `SELECT 1` to the server at `url`, in ms: the least any query costs. */
async function meanRoundTripMs(url: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = { name: 'bench_select_1', text: 'SELECT 1' };
    await client.query(one);
    const started = performance.now();
    for (let i = 0; i < 500; i++) await client.query(one);
    return (performance.now() - started) / 500;
  } finally {
    await client.end();
  }
}

