import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVerdaccio, type PackageFixture, type Verdaccio } from '../test/helpers/verdaccio.js';
import { fetchBody, table } from './bench-tools.js';
import { runLoad, summarize, type LoadRun } from './load-generator.js';
import { clusterCpuMs, processCpuMs, waitUntilIdle } from './process-cpu.js';
import { spawnAirlock, type BenchAirlock } from './spawn-airlock.js';
import { startSharedStore, type SharedStore } from './start-shared-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The Airlock checkout to run; `AIRLOCK_BENCH_ROOT` points at another one (e.g. the code before a change). */
const root = path.resolve(process.env.AIRLOCK_BENCH_ROOT ?? path.resolve(here, '..'));
/** Total seconds of measured load (`AIRLOCK_BENCH_REPLICAS_SECONDS`), shared by the sixteen runs. */
const totalSeconds = Number(process.env.AIRLOCK_BENCH_REPLICAS_SECONDS ?? 48);
/** Requests in flight at once (`AIRLOCK_BENCH_CONNECTIONS`): a few npm clients' worth (npm opens up to 16 sockets). */
const connections = Number(process.env.AIRLOCK_BENCH_CONNECTIONS ?? 32);
const packages = 8;
const versionsPerPackage = 2;
/** Uncompressed size of each package's code, KB: small to middling, like most of an app's dependency tree. */
const codeKB = [4, 8, 16, 32, 4, 8, 16, 64];
const corgiAccept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const clientHeaders = { 'accept-encoding': 'gzip, deflate', 'user-agent': 'npm/10.8.2 node/v20.19.0 linux x64 workspaces/false' };

interface Kind {
  label: string;
  paths: string[];
  headers: Record<string, string>;
}

interface Measured {
  runs: LoadRun[];
  /** CPU ms used during the runs, by process group. */
  cpu: { replicas: number; postgres: number; s3rver: number; loadGenerator: number };
}

/**
 * `replicas`: warm packument and tarball throughput through two Airlock replicas against one, both
 * on one PostgreSQL database and one S3 bucket (a local cluster and s3rver, as the tests start
 * them), in front of a local Verdaccio holding fixture packages published with the real `npm
 * publish`. The store is filled through replica A; then a fixed closed-loop load (`connections`
 * requests in flight, keep-alive, spread like deploy/nginx.conf's load balancer) runs against A
 * alone and against A and B, for packuments (npm's corgi request) and tarballs.
 *
 * Order: per kind the runs go one, two, two, one, one, two, two, one replica (ABBA twice), so a change in what else the
 * machine is doing falls on both configurations alike; before each run the replicas and s3rver are
 * left to go idle. Nothing is pinned to a core: the replicas, PostgreSQL,
 * s3rver and the load generator share whatever cores there are, which is why the CPU per request
 * is printed beside the throughput (it does not depend on how busy the machine is).
 */
export async function benchReplicas(): Promise<void> {
  if (!(totalSeconds >= 16) || !Number.isInteger(connections) || connections < 1)
    throw new Error(`AIRLOCK_BENCH_REPLICAS_SECONDS must be at least 16 and AIRLOCK_BENCH_CONNECTIONS a positive integer, got ${totalSeconds} and ${connections}`);
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-replicas-'));
  const replicas: BenchAirlock[] = [];
  let shared: SharedStore | null = null;
  let verdaccio: Verdaccio | null = null;
  const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  try {
    console.log(`replicas: ${availableParallelism()} cores, load average at the start ${loadAverage()}`);
    const setupStarted = performance.now();
    [shared, verdaccio] = await Promise.all([startSharedStore('replicas'), startVerdaccio()]);
    const fixtures = fixturePackages();
    await inBatches(fixtures, 4, (f) => verdaccio!.publish(f));
    console.log(`replicas: ${fixtures.length} releases of ${packages} packages published to Verdaccio with npm publish; Airlock on ${shared.describe}`);

    await writeFile(path.join(work, 'policy.yaml'), 'cooldown: 0\nanalysisHorizon: 0\n');
    const env = (name: string) => ({
      ...shared!.env,
      AIRLOCK_STORAGE: path.join(work, name),
      AIRLOCK_POLICY: path.join(work, 'policy.yaml'),
      AIRLOCK_NPM_UPSTREAM: verdaccio!.url,
    });
    // Started together, as a deployment starts them: both migrate the empty database at once.
    const started = await Promise.allSettled([spawnAirlock(root, env('replica-a')), spawnAirlock(root, env('replica-b'))]);
    for (const s of started) if (s.status === 'fulfilled') replicas.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [a, b] = replicas as [BenchAirlock, BenchAirlock];

    // Fill the store through replica A: every packument, then every tarball.
    const names = [...new Set(fixtures.map((f) => f.name))];
    const tarballs = fixtures.map((f) => `${f.name}/-/${f.name}-${f.version}.tgz`);
    let tarballBytes = 0;
    for (const name of names) await fetchBody(`${a.url}npm/${name}`, { accept: corgiAccept });
    for (const t of tarballs) tarballBytes += (await fetchBody(`${a.url}npm/${t}`, {})).length;
    const objects = await countObjects(shared.env);
    console.log(
      `replicas: store filled through replica A in ${((performance.now() - setupStarted) / 1000).toFixed(0)} s of setup: ` +
        `${names.length} packuments, ${tarballs.length} tarballs (${(tarballBytes / tarballs.length / 1024).toFixed(1)} KB mean), ${objects} objects in the bucket`,
    );

    const kinds: Kind[] = [
      { label: 'packument', paths: names, headers: { ...clientHeaders, accept: corgiAccept } },
      { label: 'tarball', paths: tarballs, headers: { ...clientHeaders, accept: '*/*' } },
    ];
    const configs: Record<string, BenchAirlock[]> = { '1 replica': [a], '2 replicas': [a, b] };
    // Short runs, finely interleaved: a burst of other work on the machine then lands on both configurations.
    const schedule = ['1 replica', '2 replicas', '2 replicas', '1 replica', '1 replica', '2 replicas', '2 replicas', '1 replica'];
    const perRun = totalSeconds / (kinds.length * schedule.length);
    const results = new Map<string, Measured>();
    for (const kind of kinds) {
      // Warm-up on both replicas: B fills its in-memory caches from the shared store, and JIT settles.
      await runLoad({ bases: [a, b].map((r) => `${r.url}npm/`), paths: kind.paths, headers: kind.headers, connections, seconds: 2 });
      for (const config of schedule) {
        const used = configs[config]!;
        await waitUntilIdle([...replicas.map((r) => r.child.pid!), shared.s3Pid], 30_000);
        const cpu = () => ({ replicas: used.reduce((n, r) => n + processCpuMs(r.child.pid!), 0), postgres: clusterCpuMs(shared!.pgPort), s3rver: processCpuMs(shared!.s3Pid) });
        const before = cpu();
        const ownBefore = process.cpuUsage();
        const run = await runLoad({ bases: used.map((r) => `${r.url}npm/`), paths: kind.paths, headers: kind.headers, connections, seconds: perRun });
        const own = process.cpuUsage(ownBefore);
        const after = cpu();
        const key = `${kind.label} ${config}`;
        const m = results.get(key) ?? { runs: [], cpu: { replicas: 0, postgres: 0, s3rver: 0, loadGenerator: 0 } };
        m.runs.push(run);
        m.cpu.replicas += after.replicas - before.replicas;
        m.cpu.postgres += after.postgres - before.postgres;
        m.cpu.s3rver += after.s3rver - before.s3rver;
        m.cpu.loadGenerator += (own.user + own.system) / 1000;
        results.set(key, m);
      }
    }

    const rows: string[][] = [];
    for (const kind of kinds)
      for (const config of Object.keys(configs)) {
        const m = results.get(`${kind.label} ${config}`)!;
        const s = summarize(m.runs);
        const answers = s.perReplica.reduce((n, x) => n + x, 0);
        const us = (cpuMsUsed: number) => (answers > 0 ? ((cpuMsUsed * 1000) / answers).toFixed(0) : '-');
        rows.push([
          `${kind.label}, ${config}`,
          s.requestsPerSecond.toFixed(0),
          s.megabytesPerSecond.toFixed(1),
          s.p50.toFixed(1),
          s.p99.toFixed(1),
          us(m.cpu.replicas),
          us(m.cpu.postgres),
          us(m.cpu.s3rver),
          us(m.cpu.loadGenerator),
          String(s.errors),
          s.perReplica.map((n) => `${Math.round((100 * n) / Math.max(answers, 1))}%`).join('/'),
        ]);
      }
    console.log(`\nreplicas: warm throughput, ${connections} connections, ${perRun.toFixed(0)} s per run, ${schedule.length / 2} runs per row (ABBA ABBA), keep-alive, least_conn like deploy/nginx.conf`);
    console.log(table(['case', 'req/s', 'MB/s', 'p50 ms', 'p99 ms', 'airlock cpu µs/req', 'postgres µs/req', 's3rver µs/req', 'load gen µs/req', 'errors', 'A/B'], rows));
    for (const kind of kinds) {
      const one = summarize(results.get(`${kind.label} 1 replica`)!.runs);
      const two = summarize(results.get(`${kind.label} 2 replicas`)!.runs);
      console.log(
        `${kind.label}: 2 replicas ${(two.requestsPerSecond / Math.max(one.requestsPerSecond, 1e-9)).toFixed(2)}× the req/s of 1; ` +
          `p50 ${(two.p50 / Math.max(one.p50, 1e-9)).toFixed(2)}×, p99 ${(two.p99 / Math.max(one.p99, 1e-9)).toFixed(2)}× the latency (no target)`,
      );
    }
    const tarballRuns = ['tarball 1 replica', 'tarball 2 replicas'].map((k) => results.get(k)!);
    const tarballAnswers = tarballRuns.reduce((n, m) => n + m.runs.reduce((r, run) => r + run.latencies.length, 0), 0);
    const s3PerAnswer = (tarballRuns.reduce((n, m) => n + m.cpu.s3rver, 0) * 1000) / Math.max(tarballAnswers, 1);
    if (s3PerAnswer < 20)
      console.log(`tarballs: s3rver spent ${s3PerAnswer.toFixed(0)} µs per answer, so warm tarballs came from each replica's in-memory tarball cache, hardly ever from the bucket`);
    console.log(
      `load average at the end: ${loadAverage()} on ${availableParallelism()} cores. Nothing is pinned: the replicas, PostgreSQL, s3rver, ` +
        `Verdaccio and the load generator share these cores with each other and with other work on the machine. On an idle machine two ` +
        `replicas can gain at most what the second core gives; on a busy one, two processes also win a larger share of the cores from ` +
        `that other work, which flatters the ratio. The CPU per request depends on neither and is the steadier comparison.`,
    );
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([shared?.stop(), verdaccio?.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

/** `packages` packages × `versionsPerPackage` versions, each with code of its size that compresses about as well as minified JS. */
function fixturePackages(): PackageFixture[] {
  const fixtures: PackageFixture[] = [];
  for (let p = 0; p < packages; p++)
    for (let v = 1; v <= versionsPerPackage; v++) {
      const lines: string[] = [];
      for (let i = 0; lines.join('\n').length < codeKB[p % codeKB.length]! * 1024; i++)
        lines.push(`export const value${i} = ${JSON.stringify(randomBytes(36).toString('base64'))}; // helper ${i} of bench-pkg-${p}`);
      fixtures.push({
        name: `bench-pkg-${p}`,
        version: `${v}.0.0`,
        manifest: { description: `bench fixture ${p}`, main: 'index.js', dependencies: p > 0 ? { [`bench-pkg-${p - 1}`]: '^1.0.0' } : {} },
        files: { 'index.js': `${lines.join('\n')}\n`, 'README.md': `# bench-pkg-${p}\n\nA fixture for the replicas benchmark.\n` },
      });
    }
  return fixtures;
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

/** How many objects the bucket holds under Airlock's prefix. */
async function countObjects(env: Record<string, string>): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const [bucket, ...prefix] = env.AIRLOCK_BLOB_STORE!.slice('s3://'.length).split('/');
  const client = new S3Client({
    endpoint: env.AIRLOCK_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix.join('/') }));
    return listed.KeyCount ?? 0;
  } finally {
    client.destroy();
  }
}
