import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ArtifactSource } from '../../src/analyzer/index.js';
import { AnalysisPool } from '../../src/quarantine/analysis-pool.js';
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

let pool: AnalysisPool | null = null;
afterEach(async () => {
  await pool?.close();
  pool = null;
});

describe('the analysis pool', () => {
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

  it('fails only the analysis whose worker runs out of memory, and keeps analyzing', async () => {
    pool = new AnalysisPool({ size: 1, maxOldGenerationMb: 24 });
    const huge = tarball('9.0.0', { 'index.js': heavyCode(150_000) });
    await expect(pool.analyze({ ecosystem: 'npm', candidate: huge })).rejects.toThrow('the analysis ran out of memory (limit 24 MB)');
    expect(pool.stats.workerFailures).toBe(1);
    const next = await pool.analyze({ ecosystem: 'npm', candidate: tarball('1.0.0', files(2)) });
    expect(next.findings.map((f) => f.kind)).toContain('new-package');
  });
});
