import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease, type AnalysisResult } from '../../src/analyzer/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCase, npm, type RuleCase } from './build-artifacts.js';
import { npmBase, npmNext } from './cases/common.js';

// The classes of noise seen on real consecutive npm updates (see bench/analyzer.ts), each next to
// the real capability gain it must still report.
let dir: { dir: string; remove: () => Promise<void> };
let n = 0;
beforeAll(async () => {
  dir = await tempDir('airlock-analyzer-noise-');
});
afterAll(() => dir.remove());

async function analyze(c: Omit<RuleCase, 'name'>): Promise<AnalysisResult> {
  const s = await buildCase(path.join(dir.dir, String(n++)), { name: '', ...c });
  return analyzeRelease({ ecosystem: c.ecosystem, ...(s.previous ? { previous: s.previous } : {}), candidate: s.candidate });
}
const severities = (r: AnalysisResult, kind: string) => r.findings.filter((f) => f.kind === kind).map((f) => f.severity);
const elf = (fill: number) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120, fill)]);

describe('real-update noise stays below review, real gains do not', () => {
  it('dotted object identifiers in crypto code are not endpoints; an address where a host stands is', async () => {
    const oids = "module.exports = (oid) => {\n  switch (oid) {\n    case '1.3.101.112': return 'EdDSA';\n    case '2.5.29.17': return 'subjectAltName';\n  }\n};\n";
    const quiet = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'oids.js': oids })] });
    expect(severities(quiet, 'network-endpoint-added')).toEqual([]);
    const host = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'c.js': "const net = require('net');\nmodule.exports = () => net.connect({ host: '45.9.148.108', port: 443 });\n" })] });
    expect(severities(host, 'network-endpoint-added')).toEqual(['high']);
  });

  it('a prebuilt binary for one more platform is a medium changed binary set; a first binary stays high', async () => {
    const more = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'prebuilds/linux-x64/demo.node': elf(1) })], candidate: [npmNext({ 'prebuilds/linux-x64/demo.node': elf(1), 'prebuilds/darwin-arm64/demo.node': elf(2) })] });
    expect(severities(more, 'native-binary-added')).toEqual(['medium']);
    expect(more.verdict).toBe('clean');
    const first = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'prebuilds/linux-x64/demo.node': elf(1) })] });
    expect(severities(first, 'native-binary-added')).toEqual(['high']);
  });

  it('an install script moved to another file that gains nothing is medium; a new program in it is high', async () => {
    const install = "const https = require('https');\nmodule.exports = () => https.get('https://dl.demo.invalid/bin');\n";
    const moved = await analyze({
      ecosystem: 'npm',
      previous: [npm('1.0.0', { 'index.js': install }, { scripts: { postinstall: 'node index.js --install' } })],
      candidate: [npm('1.0.1', { 'dist/index.js': install }, { scripts: { postinstall: 'node dist/index.js --install' } })],
    });
    expect(severities(moved, 'install-script-changed')).toEqual(['medium']);
    const tool = await analyze({
      ecosystem: 'npm',
      previous: [npm('1.0.0', {}, { scripts: { install: 'node-pre-gyp install --fallback-to-build' } })],
      candidate: [npm('1.0.1', {}, { scripts: { install: 'prebuild-install -r napi || node-gyp rebuild' } })],
    });
    expect(severities(tool, 'install-script-changed')).toEqual(['high']);
  });

  it('a rebuilt bundle chunk with an inlined blob is medium; a blob in a file that evaluates code is high', async () => {
    const blob = 'A'.repeat(600) + 'QmFzZTY0' + 'x9Z'.repeat(400);
    const chunk = (hash: string, extra: string) => ({ [`dist/recorder-${hash}.js`]: `export const worker = '${blob}';\n${extra}` });
    const rebuilt = await analyze({ ecosystem: 'npm', previous: [npmBase(chunk('CaVGQoia', ''))], candidate: [npmNext(chunk('BbPxtaqp', ''))] });
    expect(rebuilt.verdict).toBe('clean');
    const evaluated = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext(chunk('BbPxtaqp', 'new Function(worker)();\n'))] });
    expect(evaluated.verdict).toBe('review');
  });

  it('eval in a new file of a package that already used it elsewhere passes; eval new to the package is high', async () => {
    const before = npmBase({ 'lib/template.js': "module.exports = (s) => new Function('return `' + s + '`')();\n" });
    const spread = await analyze({ ecosystem: 'npm', previous: [before], candidate: [npmNext({ 'lib/template.js': "module.exports = require('./compile');\n", 'lib/compile.js': "module.exports = (s) => new Function('return `' + s + '`')();\n" })] });
    expect(severities(spread, 'dynamic-code-added')).toEqual([]);
    const fresh = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'lib/compile.js': 'module.exports = (s) => eval(s);\n' })] });
    expect(severities(fresh, 'dynamic-code-added')).toEqual(['high']);
  });
});
