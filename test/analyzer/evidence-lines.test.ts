import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease } from '../../src/analyzer/index.js';
import type { Finding } from '../../src/domain/finding.js';
import type { Ecosystem } from '../../src/domain/ecosystem.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCase, npm, sdist, type Files } from './build-artifacts.js';

let dir: { dir: string; remove: () => Promise<void> };
let n = 0;

beforeAll(async () => {
  dir = await tempDir('airlock-evidence-lines-');
});
afterAll(async () => {
  await dir.remove();
});

/** Analyzes a candidate holding `files` against a baseline whose files are empty. */
async function findings(ecosystem: Ecosystem, files: Files): Promise<Finding[]> {
  const empty = Object.fromEntries(Object.keys(files).map((p) => [p, '']));
  const spec = ecosystem === 'npm' ? (v: string, f: Files) => npm(v, f) : (v: string, f: Files) => sdist(v, f);
  const sources = await buildCase(`${dir.dir}/${n++}`, { name: 'lines', ecosystem, previous: [spec('1.0.0', empty)], candidate: [spec('1.0.1', files)] });
  return (await analyzeRelease({ ecosystem, previous: sources.previous!, candidate: sources.candidate })).findings;
}

/** Line `line` (1-based) of `text` as the review page numbers lines: split at `\n`, a trailing `\r` dropped. */
function lineOf(text: string, line: number): string {
  return (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
}

/** The finding of `kind`, and that its line really holds `needle` and its evidence shows it. */
function expectAt(all: Finding[], kind: string, path: string, text: string, needle: string, line: number) {
  const f = all.find((x) => x.kind === kind && x.path === path);
  expect(f, `${kind} in ${path} among ${JSON.stringify(all.map((x) => x.kind))}`).toBeDefined();
  expect(f!.line).toBe(line);
  expect(lineOf(text, f!.line!)).toContain(needle);
  expect(f!.evidence).toContain(needle);
}

const host = 'collect.webhook.site';

describe('a finding names the line that holds what produced it', () => {
  it('counts CRLF line endings as one line break each', async () => {
    const text = 'const a = 1;\r\n\r\nconst b = 2;\r\nfetch("https://collect.webhook.site/x");\r\n';
    expectAt(await findings('npm', { 'index.js': text }), 'network-endpoint-added', 'index.js', text, host, 4);
  });

  it('points at the line of a template literal where the host is, not where the literal starts', async () => {
    const text = 'const a = 1;\nconst banner = `first line\nsecond line\nthird line\nposts to https://collect.webhook.site/x\n`;\nmodule.exports = banner;\n';
    expectAt(await findings('npm', { 'index.js': text }), 'network-endpoint-added', 'index.js', text, host, 5);
  });

  it('points at the host inside a template literal with substitutions in a bundle', async () => {
    const text = '!function(){var e=1;\nvar t=`${e}\n<div>\n${e}</div>\n<a href="https://collect.webhook.site/x">`;\nconsole.log(t)}();\n';
    expectAt(await findings('npm', { 'dist/bundle.js': text }), 'network-endpoint-added', 'dist/bundle.js', text, host, 5);
  });

  it('keeps a long minified line as one line and shows the host in its evidence', async () => {
    const text = 'var a=' + '1+'.repeat(100_000) + '1;fetch("https://collect.webhook.site/x");\nvar b=2;\n';
    const all = await findings('npm', { 'dist/min.js': text });
    expectAt(all, 'network-endpoint-added', 'dist/min.js', text, host, 1);
    expect(all.find((f) => f.kind === 'network-endpoint-added')!.evidence!.length).toBeLessThan(400);
  });

  it('points at the line of a Python triple-quoted string where the host is', async () => {
    const text = 'import os\nHELP = """\nUsage:\n  demo\nSee http://collect.webhook.site/x\n"""\n';
    expectAt(await findings('pypi', { 'demo_py/help.py': text }), 'network-endpoint-added', 'demo_py/help.py', text, host, 5);
  });

  it('points at the physical line of a call inside a Python statement spread over several lines', async () => {
    const text = 'import os\r\nresult = run_all(\r\n    1,\r\n    os.system("ls"),\r\n)\r\n';
    expectAt(await findings('pypi', { 'demo_py/run.py': text }), 'process-spawn-added', 'demo_py/run.py', text, 'os.system', 4);
  });
});
