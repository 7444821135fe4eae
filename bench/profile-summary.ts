import { readFileSync } from 'node:fs';

/**
 * `node --import tsx bench/profile-summary.ts <file.cpuprofile> [top] [--inclusive <regex>] [--last <seconds>]`:
 * where a `--cpu-prof` profile of Airlock (see `AIRLOCK_BENCH_NODE_ARGS`) spent its time. Prints
 * the busy and idle milliseconds, self time by file (packages folded to their name), self time by
 * function, and with `--inclusive`, the time spent in and under each function whose label
 * (`name file`, with `:line` for JavaScript) matches. `--last` keeps only the samples of the
 * profile's last seconds (e.g. the lifecycle benchmark's idle window, which ends just before Airlock stops).
 */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const inclusiveAt = args.indexOf('--inclusive');
const inclusive = inclusiveAt >= 0 ? new RegExp(args[inclusiveAt + 1] ?? '.') : null;
const lastAt = args.indexOf('--last');
const lastSeconds = lastAt >= 0 ? Number(args[lastAt + 1]) : null;
if (lastSeconds !== null && !(lastSeconds > 0)) {
  console.error(`--last takes a number of seconds, got "${args[lastAt + 1]}"`);
  process.exit(2);
}
const optionAt = new Set([inclusiveAt, lastAt].filter((i) => i >= 0).flatMap((i) => [i, i + 1]));
const positional = args.filter((_, i) => !optionAt.has(i));
const [file, topArg] = positional;
if (!file) {
  console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [top] [--inclusive <regex>]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
if (!Number.isInteger(top) || top < 1) {
  console.error(`top must be a whole number of rows, got "${topArg}"`);
  process.exit(2);
}
// Piped into `head`: stop quietly when the reader has read enough.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
const profile = readProfile(file);

function readProfile(at: string): Profile {
  let parsed: Partial<Profile>;
  try {
    parsed = JSON.parse(readFileSync(at, 'utf8')) as Partial<Profile>;
  } catch (err) {
    console.error(`${at}: cannot read it as JSON: ${(err as Error).message}`);
    process.exit(1);
  }
  if (!Array.isArray(parsed.nodes) || !Array.isArray(parsed.samples) || !Array.isArray(parsed.timeDeltas)) {
    console.error(`${at}: not a V8 CPU profile (no nodes, samples and timeDeltas); write one with node --cpu-prof`);
    process.exit(1);
  }
  return parsed as Profile;
}

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);

/** Microseconds sampled in each node itself. */
const selfTime = new Map<number, number>();
const sampledUs = profile.timeDeltas.reduce((a, b) => a + b, 0);
const fromUs = lastSeconds === null ? -Infinity : sampledUs - lastSeconds * 1e6;
let atUs = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  atUs += delta;
  if (atUs >= fromUs) selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
});

const shortUrl = (url: string) => url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
// Lines of TypeScript files are of the code tsx ran, not of the source, so only JavaScript keeps them.
const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url.endsWith('.ts') || !f.url ? '' : `:${f.lineNumber + 1}`}`;
const fileOf = (f: CallFrame) => (f.url ? shortUrl(f.url).replace(/^(node_modules\/(@[^/]+\/)?[^/]+).*/, '$1') : f.functionName);
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const ms = (us: number) => (us / 1000).toFixed(0).padStart(8);

const byFile = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfTime) {
  const frame = nodes.get(id)!.callFrame;
  total += us;
  if (frame.functionName === '(idle)') idle += us;
  add(byFile, fileOf(frame), us);
  add(byFunction, label(frame), us);
}
const print = (title: string, m: Map<string, number>) => {
  console.log(`--- ${title}`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)}  ${k}`);
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
print('self ms by file', byFile);
print('self ms by function', byFunction);

if (inclusive) {
  // A sample counts once for each matching function on its stack (recursion is not double-counted).
  const within = new Map<string, number>();
  for (const [id, us] of selfTime) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = label(nodes.get(at)!.callFrame);
      if (!seen.has(k) && inclusive.test(k)) {
        seen.add(k);
        add(within, k, us);
      }
    }
  }
  print(`inclusive ms of functions matching ${inclusive}`, within);
}
