import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/verdaccio.js';
import { peakRssMB, table, waitFor } from './bench-tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The Airlock checkout to run; `AIRLOCK_BENCH_ROOT` points at another one (e.g. the code before a change). */
const root = path.resolve(process.env.AIRLOCK_BENCH_ROOT ?? path.resolve(here, '..'));
const registry = 'https://registry.npmjs.org/';
/** Targets from issue 9. */
const targets = { cold: 1.5, warm: 1.0, minPackages: 400 };
/** One install may take at most this long (`AIRLOCK_BENCH_INSTALL_TIMEOUT`, seconds); a capped run is reported as ">N s". */
const installTimeoutMs = Number(process.env.AIRLOCK_BENCH_INSTALL_TIMEOUT ?? 900) * 1000;

/** A real app: a web server, a UI library, an HTTP client, and the usual test and lint toolchain (≥ 400 packages). */
const app = {
  name: 'cold-install-app',
  version: '1.0.0',
  private: true,
  dependencies: { express: '^4.21.0', react: '^18.3.0', 'react-dom': '^18.3.0', axios: '^1.7.0', lodash: '^4.17.21' },
  devDependencies: { jest: '^29.7.0', eslint: '^8.57.0', typescript: '^5.6.0', webpack: '^5.95.0', prettier: '^3.3.0' },
};

interface Install {
  seconds: number;
  /** Lockfile path (`node_modules/x`) → version. */
  versions: Map<string, string>;
  ok: boolean;
  output: string;
}

/**
 * `cold-install`: real npm installs the same app straight from the npm registry, then through a
 * fresh Airlock (a child process run as `npm start` runs it, default policy: 72h cooldown, 30d
 * analysis horizon) in front of that registry, then again warm (Airlock filled, npm cache empty),
 * in one run. Prints the three times, the ratios, the event-loop lag Airlock reported during the
 * cold install, and how many lockfile versions differ from the direct install although Airlock
 * shows the direct version (silent downgrades).
 */
export async function benchColdInstall(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-cold-'));
  const children: ChildProcess[] = [];
  try {
    const direct = await install(work, 'direct', registry);
    if (!direct.ok) throw new Error(`the direct install failed:\n${direct.output.slice(-3000)}`);
    console.log(`cold-install: ${direct.versions.size} packages; direct from ${registry} in ${direct.seconds.toFixed(1)} s`);
    if (direct.versions.size < targets.minPackages) console.log(`  (fewer than ${targets.minPackages} packages: pick a bigger app)`);

    const port = await freePort();
    await writeFile(path.join(work, 'policy.yaml'), readFileSync(path.join(here, '..', 'policies', 'default.yaml')));
    // AIRLOCK_BENCH_NODE_ARGS adds Node options for Airlock only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = (process.env.AIRLOCK_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const airlock = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(root, 'src/main.ts')], {
      cwd: root,
      env: {
        ...process.env,
        AIRLOCK_PORT: String(port),
        AIRLOCK_STORAGE: path.join(work, 'airlock'),
        AIRLOCK_POLICY: path.join(work, 'policy.yaml'),
        AIRLOCK_NPM_UPSTREAM: registry,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(airlock);
    const base = `http://127.0.0.1:${port}/`;
    await waitFor(`${base}healthz`, airlock);

    const lag = sampleEventLoopLag(base);
    const cold = await install(work, 'cold', `${base}npm/`);
    const coldLag = await lag.stop();
    const warm = await install(work, 'warm', `${base}npm/`);
    const rss = peakRssMB(airlock.pid!);

    const coldDiff = await compare(direct, cold, base);
    const warmDiff = await compare(direct, warm, base);
    const secs = (i: Install) => (i.ok ? `${i.seconds.toFixed(1)}` : `>${i.seconds.toFixed(0)} (${i.seconds * 1000 >= installTimeoutMs ? 'capped' : 'failed'})`);
    const ratio = (i: Install) => i.seconds / direct.seconds;
    console.log(
      table(
        ['install', 'seconds', 'vs direct', 'target', 'packages', 'differ', 'silent downgrades'],
        [
          ['direct (registry)', secs(direct), '1.00', '', String(direct.versions.size), '', ''],
          ['cold (fresh Airlock)', secs(cold), ratio(cold).toFixed(2), `≤ ${targets.cold}`, ...lockColumns(cold, coldDiff)],
          ['warm (Airlock filled)', secs(warm), ratio(warm).toFixed(2), `≤ ${targets.warm}`, ...lockColumns(warm, warmDiff)],
        ],
      ),
    );
    for (const d of coldDiff.downgrades.slice(0, 10)) console.log(`  cold silent downgrade: ${d}`);
    for (const d of coldDiff.held.slice(0, 10)) console.log(`  cold differs, direct version held by Airlock: ${d}`);
    if (!cold.ok) console.log(`  cold install output (tail):\n${cold.output.slice(-2000)}`);
    console.log(
      `Airlock event-loop lag during the cold install (airlock_process_nodejs_eventloop_lag_*): max ${ms(coldLag.max)}, worst p99 ${ms(coldLag.p99)} over ${coldLag.samples} one-second samples`,
    );
    console.log(`Airlock analyses: ${await analysisSummary(base)}; peak RSS ${rss.toFixed(0)} MB`);
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`load average at the end: ${loadAverage} on ${availableParallelism()} cores`);
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    console.log(`cold ${ratio(cold).toFixed(2)}× direct (target ≤ ${targets.cold}×): ${verdict(cold.ok && ratio(cold) <= targets.cold)}`);
    console.log(`warm ${ratio(warm).toFixed(2)}× direct (target ≤ ${targets.warm}×): ${verdict(warm.ok && ratio(warm) <= targets.warm)}`);
    console.log(`silent downgrades (cold + warm): ${coldDiff.downgrades.length + warmDiff.downgrades.length} (target 0): ${verdict(cold.ok && coldDiff.downgrades.length + warmDiff.downgrades.length === 0)}`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
    await rm(work, { recursive: true, force: true });
  }
}

/** Packages, differing versions and silent downgrades; dashes when the install did not finish (no lockfile). */
function lockColumns(i: Install, diff: { differ: number; downgrades: string[] }): string[] {
  return i.ok ? [String(i.versions.size), String(diff.differ), String(diff.downgrades.length)] : ['-', '-', '-'];
}

/** One `npm install` of the app in a fresh project with an empty cache, timed. */
async function install(work: string, label: string, registryUrl: string): Promise<Install> {
  const dir = path.join(work, label);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(app, null, 2));
  await writeFile(path.join(dir, '.npmrc'), `registry=${registryUrl}\n`);
  const started = performance.now();
  const { code, output } = await runNpm(['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], dir, {
    npm_config_cache: path.join(work, `${label}-cache`),
    npm_config_userconfig: path.join(dir, '.npmrc'),
    npm_config_registry: registryUrl,
    npm_config_update_notifier: 'false',
  });
  const seconds = (performance.now() - started) / 1000;
  const versions = new Map<string, string>();
  if (code === 0) {
    const lock = JSON.parse(await readFile(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    for (const [p, entry] of Object.entries(lock.packages)) if (p !== '' && entry.version) versions.set(p, entry.version);
  }
  await rm(path.join(dir, 'node_modules'), { recursive: true, force: true });
  return { seconds, versions, ok: code === 0, output };
}

function runNpm(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), installTimeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

/**
 * Lockfile entries whose version differs from the direct install. A difference is a silent
 * downgrade when Airlock shows the direct version now (so a client could have had it), and
 * expected when Airlock holds it (inside its cooldown, or awaiting review).
 */
async function compare(direct: Install, through: Install, base: string): Promise<{ differ: number; downgrades: string[]; held: string[] }> {
  const downgrades: string[] = [];
  const held: string[] = [];
  let differ = 0;
  if (!through.ok) return { differ, downgrades, held };
  const shown = new Map<string, Set<string>>();
  for (const [p, version] of direct.versions) {
    const got = through.versions.get(p);
    if (got === version) continue;
    differ++;
    const name = p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length);
    let versions = shown.get(name);
    if (!versions) {
      const res = await fetch(`${base}npm/${name.replace('/', '%2f')}`, { headers: { accept: 'application/vnd.npm.install-v1+json' } });
      versions = new Set(res.ok ? Object.keys(((await res.json()) as { versions: object }).versions) : []);
      shown.set(name, versions);
    }
    (versions.has(version) ? downgrades : held).push(`${name}: direct ${version}, through Airlock ${got ?? 'absent'}`);
  }
  return { differ, downgrades, held };
}

/** Scrapes Airlock's /metrics every second; prom-client resets the event-loop histogram at each scrape. */
function sampleEventLoopLag(base: string): { stop(): Promise<{ max: number; p99: number; samples: number }> } {
  let max = 0;
  let p99 = 0;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const text = await (await fetch(`${base}metrics`, { signal: AbortSignal.timeout(30_000) })).text();
        max = Math.max(max, gauge(text, 'airlock_process_nodejs_eventloop_lag_max_seconds'));
        p99 = Math.max(p99, gauge(text, 'airlock_process_nodejs_eventloop_lag_p99_seconds'));
        samples++;
      } catch {
        // a missed sample: the next one covers the interval (the histogram is reset only when read)
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { max, p99, samples };
    },
  };
}

function gauge(metrics: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : 0;
}

async function analysisSummary(base: string): Promise<string> {
  const text = await (await fetch(`${base}metrics`)).text();
  const count = (verdict: string) =>
    [...text.matchAll(new RegExp(`^airlock_analysis_duration_seconds_count\\{[^}]*verdict="${verdict}"[^}]*\\} (\\d+)$`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
  const sum = [...text.matchAll(/^airlock_analysis_duration_seconds_sum\{[^}]*\} ([0-9.e+-]+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const done = count('clean') + count('review');
  return `${done} finished (${count('review')} for review), ${done > 0 ? (sum / done).toFixed(2) : '0'} s mean`;
}

function ms(seconds: number): string {
  return `${(seconds * 1000).toFixed(0)} ms`;
}
