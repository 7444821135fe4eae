import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { analyzeRelease, createProfileCache, type ArtifactSource, type ProfileCache } from '../src/analyzer/index.js';
import type { Finding } from '../src/domain/finding.js';
import { defaultCorpusDir, readCorpus, tarballPath } from '../scripts/fetch-npm-corpus.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cacheDir = path.join(here, '.cache');
const typescriptUrl = 'https://registry.npmjs.org/typescript/-/typescript-5.9.3.tgz';
const MB = 1e6;

/** Targets from the analyzer issue. */
const targets = { coldMBps: 50, warmSeconds: 0.5, peakRssMB: 256, falsePositivePercent: 2, pairSeconds: 20 };

/**
 * Analyzer benchmark: cold throughput (MB/s of uncompressed content, one core) on a generated
 * 2,000-file / 50 MB release pair and on the real typescript tarball, re-analysis time with a
 * warm per-file cache, and peak RSS on a ~200 MB unpacked artifact (measured alone in a child
 * process). Prints figures and pass/fail against the targets.
 */
export async function benchAnalyzer(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-analyzer-'));
  try {
    console.log('analyzer: generating a 2,000-file, 50 MB release pair (five files changed)…');
    const previousFiles = generateRelease(2000, 50 * MB, 1);
    const candidateFiles = changeFiles(previousFiles, 5, 2);
    const nextFiles = changeFiles(candidateFiles, 5, 3);
    const previous = await writeTgz(work, 'big-1.0.0.tgz', previousFiles);
    const candidate = await writeTgz(work, 'big-1.0.1.tgz', candidateFiles);
    const next = await writeTgz(work, 'big-1.0.2.tgz', nextFiles);
    const pairBytes = unpackedBytes(previousFiles) + unpackedBytes(candidateFiles);

    const cache = createProfileCache();
    const cold = await timed(() => analyze(previous, candidate, cache));
    const coldMBps = pairBytes / MB / cold.seconds;
    const warm = await timed(() => analyze(previous, candidate, cache));
    const nextRelease = await timed(() => analyze(candidate, next, cache));

    const tsFile = await typescriptTarball();
    let ts: { unpackedMB: number; seconds: number; findings: number } | null = null;
    if (tsFile) {
      const unpacked = await unpackedSize(tsFile);
      const run = await timed(() => analyze(null, tsFile, createProfileCache()));
      ts = { unpackedMB: unpacked / MB, seconds: run.seconds, findings: run.result };
    }

    console.log('analyzer: generating a ~200 MB unpacked artifact for the memory run…');
    const hugeFiles = generateRelease(4000, 200 * MB, 4);
    const huge = await writeTgz(work, 'huge-1.0.0.tgz', hugeFiles);
    hugeFiles.clear();
    const rss = peakRssOf(huge);

    const corpus = await benchCorpus();

    type Row = [what: string, result: string, target: string, ratio: string, verdict: string];
    type Verdict = [ratio: string, verdict: string];
    const atLeast = (value: number, target: number): Verdict => [`${(value / target).toFixed(2)}×`, value >= target ? 'PASS' : 'FAIL'];
    const below = (value: number, target: number, strict: boolean): Verdict => [
      `${(value / target).toFixed(2)} of budget`,
      (strict ? value < target : value <= target) ? 'PASS' : 'FAIL',
    ];
    const rows: Row[] = [
      ['check', 'result', 'target', 'ratio', ''],
      [`cold, generated pair (${(pairBytes / MB).toFixed(0)} MB unpacked, ${cold.seconds.toFixed(2)} s)`, `${coldMBps.toFixed(1)} MB/s`, `≥ ${targets.coldMBps} MB/s`, ...atLeast(coldMBps, targets.coldMBps)],
      ts
        ? [`cold, typescript-5.9.3.tgz (${ts.unpackedMB.toFixed(1)} MB unpacked, ${ts.seconds.toFixed(2)} s, ${ts.findings} findings)`, `${(ts.unpackedMB / ts.seconds).toFixed(1)} MB/s`, `≥ ${targets.coldMBps} MB/s`, ...atLeast(ts.unpackedMB / ts.seconds, targets.coldMBps)]
        : ['cold, typescript-5.9.3.tgz', 'unavailable (offline?)', `≥ ${targets.coldMBps} MB/s`, '', 'SKIP'],
      ['warm re-analysis (same pair, five changed files)', `${warm.seconds.toFixed(3)} s`, `< ${targets.warmSeconds} s`, ...below(warm.seconds, targets.warmSeconds, true)],
      ['next release (baseline cached, five new files)', `${nextRelease.seconds.toFixed(3)} s`, '', '', ''],
      rss === null
        ? ['peak RSS (~200 MB unpacked artifact, own process)', 'child run failed', `≤ ${targets.peakRssMB} MB`, '', 'FAIL']
        : ['peak RSS (~200 MB unpacked artifact, own process)', `${rss.toFixed(0)} MB`, `≤ ${targets.peakRssMB} MB`, ...below(rss, targets.peakRssMB, false)],
      ...(corpus === null
        ? ([['real-update corpus', `missing: run \`node --import tsx scripts/fetch-npm-corpus.ts\` (cache ${defaultCorpusDir()})`, `≤ ${targets.falsePositivePercent} %`, '', 'SKIP']] as Row[])
        : ([
            [`real npm updates sent to review (${corpus.review}/${corpus.pairs} pairs, ${corpus.packages} packages)`, `${corpus.percent.toFixed(2)} %`, `≤ ${targets.falsePositivePercent} %`, ...below(corpus.percent, targets.falsePositivePercent, false)],
            [`slowest pair, CPU time (${corpus.slowest.name}; ${corpus.slowest.wallSeconds.toFixed(1)} s wall)`, `${corpus.slowest.seconds.toFixed(2)} s`, `≤ ${targets.pairSeconds} s`, ...below(corpus.slowest.seconds, targets.pairSeconds, false)],
            ['median pair, CPU time', `${corpus.medianSeconds.toFixed(3)} s`, '', '', ''],
          ] as Row[])),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    console.log(rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n'));
    if (corpus && corpus.reviewed.length > 0) {
      console.log('\nreal updates sent to review, with the findings that did it:');
      for (const line of corpus.reviewed) console.log(`  ${line}`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface CorpusResult {
  pairs: number;
  packages: number;
  review: number;
  percent: number;
  /** By CPU time (one core; analysis is single-threaded), with its wall time beside. */
  slowest: { name: string; seconds: number; wallSeconds: number };
  medianSeconds: number;
  /** One line per pair sent to review: the pair and its findings at the threshold. */
  reviewed: string[];
}

/**
 * The false-positive rate on real consecutive npm releases (cached by
 * `scripts/fetch-npm-corpus.ts`), each pair analyzed cold with its own cache. Null when the
 * cache is missing. `bench/analyzer.ts --corpus-only` runs just this part.
 */
async function benchCorpus(): Promise<CorpusResult | null> {
  const dir = defaultCorpusDir();
  const pairs = await readCorpus(dir);
  if (pairs === null) return null;
  console.log(`analyzer: ${pairs.length} real release pairs from ${dir}…`);
  const seconds: number[] = [];
  const reviewed: string[] = [];
  let slowest = { name: '', seconds: 0, wallSeconds: 0 };
  for (const pair of pairs) {
    const previous = tarballPath(dir, pair.name, pair.previous);
    const candidate = tarballPath(dir, pair.name, pair.candidate);
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const result = await analyzeRelease({
      ecosystem: 'npm',
      previous: [{ ...source(previous), filename: `${pair.name}-${pair.previous}.tgz` }],
      candidate: [{ ...source(candidate), filename: `${pair.name}-${pair.candidate}.tgz` }],
      cache: createProfileCache(),
    });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const took = (used.user + used.system) / 1e6;
    seconds.push(took);
    const name = `${pair.name} ${pair.previous} → ${pair.candidate}`;
    if (took > slowest.seconds) slowest = { name, seconds: took, wallSeconds: wall };
    if (result.verdict === 'review') {
      const high = result.findings.filter((f: Finding) => f.severity === 'high' || f.severity === 'critical');
      reviewed.push(`${name}: ${high.map((f) => `${f.kind} (${f.path ?? '-'}: ${f.message.slice(0, 140)})`).join('; ')}`);
    }
  }
  seconds.sort((a, b) => a - b);
  return {
    pairs: pairs.length,
    packages: new Set(pairs.map((p) => p.name)).size,
    review: reviewed.length,
    percent: pairs.length === 0 ? 0 : (100 * reviewed.length) / pairs.length,
    slowest,
    medianSeconds: seconds[Math.floor(seconds.length / 2)] ?? 0,
    reviewed,
  };
}

async function timed(fn: () => Promise<number>): Promise<{ seconds: number; result: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

function source(file: string): ArtifactSource {
  return { filename: path.basename(file), open: async () => createReadStream(file, { highWaterMark: 256 * 1024 }) };
}

async function analyze(previous: string | null, candidate: string, cache: ProfileCache): Promise<number> {
  const result = await analyzeRelease({ ecosystem: 'npm', ...(previous ? { previous: [source(previous)] } : {}), candidate: [source(candidate)], cache });
  return result.findings.length;
}

/**
 * A release shaped like a large real package: bundled and per-module JavaScript, type
 * declarations, source maps, JSON and docs, every file distinct.
 */
function generateRelease(count: number, bytes: number, seed: number): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  files.set('package.json', Buffer.from(JSON.stringify({ name: 'big', version: '1.0.0', main: 'dist/index.js', dependencies: { tslib: '^2.6.0' } }, null, 2)));
  const per = Math.floor(bytes / count);
  for (let i = 0; i < count; i++) {
    const kind = i % 10;
    const dir = `lib/m${Math.floor(i / 50)}`;
    if (kind < 5) files.set(`${dir}/f${i}.js`, jsModule(i, seed, per * 1.2));
    else if (kind < 7) files.set(`${dir}/f${i}.d.ts`, repeatTo(`export declare function f${i}_$n(a: string, b: number): Promise<Map<string, number>>;\n`, per));
    else if (kind < 9) files.set(`${dir}/f${i}.js.map`, repeatTo(`{"version":3,"sources":["../src/f${i}.ts"],"mappings":"AAAA,SAAS,$n,KAAK;AACd"}`, per));
    else files.set(`${dir}/f${i}.md`, repeatTo(`Module ${i} paragraph $n. See https://docs.big.invalid/m${i} for details.\n`, per * 0.6));
  }
  return files;
}

function jsModule(i: number, seed: number, size: number): Buffer {
  const head = `'use strict';\nconst fs = require('fs');\nconst path = require('path');\nconst { EventEmitter } = require('events');\n`;
  const body =
    `function helper${i}_$n(input, options = {}) {\n  const parts = String(input).split('/').filter(Boolean);\n  if (options.strict && parts.length === 0) throw new TypeError('Expected a path, got ' + typeof input);\n  return parts.map((p, k) => \`\${k}:\${p.trim()}\`).join(path.sep) + $n;\n}\n` +
    `class Store${i}_$n extends EventEmitter {\n  constructor(dir) { super(); this.dir = dir; this.cache = new Map(); }\n  read(key) { const v = this.cache.get(key) ?? fs.readFileSync(path.join(this.dir, key), 'utf8'); this.cache.set(key, v); return v; }\n}\n`;
  return Buffer.from(head + repeatTo(body, size - head.length).toString() + `module.exports = { seed: ${seed} };\n`);
}

function repeatTo(template: string, size: number): Buffer {
  const parts: string[] = [];
  let total = 0;
  for (let n = 0; total < size; n++) {
    const s = template.replaceAll('$n', String(n));
    parts.push(s);
    total += s.length;
  }
  return Buffer.from(parts.join(''));
}

function changeFiles(files: Map<string, Buffer>, count: number, seed: number): Map<string, Buffer> {
  const out = new Map(files);
  const js = [...files.keys()].filter((p) => p.endsWith('.js'));
  for (let k = 0; k < count; k++) {
    const p = js[(k * 97 + seed * 13) % js.length]!;
    out.set(p, Buffer.concat([files.get(p)!, Buffer.from(`\nmodule.exports.changed${seed} = ${k};\n`)]));
  }
  return out;
}

function unpackedBytes(files: Map<string, Buffer>): number {
  let n = 0;
  for (const b of files.values()) n += b.length;
  return n;
}

async function writeTgz(dir: string, name: string, files: Map<string, Buffer>): Promise<string> {
  const blocks: Buffer[] = [];
  for (const [p, data] of files) {
    const header = Buffer.alloc(512);
    header.write(`package/${p}`.slice(0, 100), 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write('14000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const file = path.join(dir, name);
  await writeFile(file, gzipSync(Buffer.concat(blocks), { level: 1 }));
  return file;
}

async function unpackedSize(tgz: string): Promise<number> {
  const { Parser } = await import('tar');
  return new Promise((resolve, reject) => {
    let total = 0;
    const parser = new Parser();
    parser.on('entry', (e: { size: number; resume: () => void }) => {
      total += e.size;
      e.resume();
    });
    parser.on('end', () => resolve(total));
    parser.on('error', reject);
    createReadStream(tgz).pipe(parser);
  });
}

/** The real typescript tarball, downloaded once into bench/.cache/. */
async function typescriptTarball(): Promise<string | null> {
  const file = path.join(cacheDir, 'typescript-5.9.3.tgz');
  if (existsSync(file)) return file;
  try {
    const res = await fetch(typescriptUrl);
    if (!res.ok) return null;
    await mkdir(cacheDir, { recursive: true });
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    return file;
  } catch {
    return null;
  }
}

/** Runs the analysis of `file` alone in a child process and returns its peak RSS in MB. */
function peakRssOf(file: string): number | null {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--rss-child', file], { encoding: 'utf8', cwd: path.join(here, '..') });
  const m = /peak-rss-mb=(\d+(?:\.\d+)?)/.exec(child.stdout);
  if (!m) {
    process.stderr.write(child.stderr);
    return null;
  }
  return Number(m[1]);
}

async function rssChild(file: string): Promise<void> {
  await analyze(null, file, createProfileCache());
  console.log(`peak-rss-mb=${(peakRssKb() / 1024).toFixed(1)}`);
}

/**
 * Peak RSS of this process in kB. On Linux, VmHWM belongs to the address space exec created;
 * getrusage's maxRSS would still include the parent's high-water mark from before the fork.
 */
function peakRssKb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

if (process.argv[2] === '--rss-child' && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await rssChild(process.argv[3]!);
} else if (process.argv[2] === '--corpus-only' && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const corpus = await benchCorpus();
  if (corpus === null) console.log(`real-update corpus missing: run \`node --import tsx scripts/fetch-npm-corpus.ts\` (cache ${defaultCorpusDir()})`);
  else {
    console.log(`${corpus.review}/${corpus.pairs} pairs sent to review (${corpus.percent.toFixed(2)} %), slowest ${corpus.slowest.seconds.toFixed(2)} s CPU / ${corpus.slowest.wallSeconds.toFixed(1)} s wall (${corpus.slowest.name}), median ${corpus.medianSeconds.toFixed(3)} s CPU`);
    for (const line of corpus.reviewed) console.log(`  ${line}`);
  }
} else if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchAnalyzer();
}
