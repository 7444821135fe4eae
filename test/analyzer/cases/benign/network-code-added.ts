import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

const client = "const https = require('https');\nmodule.exports = (u) => new Promise((r) => https.get(u, r));\n";
const bundle = (hash: string, n: number) => `"use strict";var e=require("https");function t(n){return e.get(n)}exports.get=t;exports.v=${n};//# sourceMappingURL=chunk-${hash}.js.map\n`;
export const cases: RuleCase[] = [
  { name: 'a network library adds a module that also uses the network', ecosystem: 'npm', previous: [npmBase({ 'lib/client.js': client })], candidate: [npmNext({ 'lib/client.js': client, 'lib/retry.js': "const { get } = require('https');\nmodule.exports = (u) => get(u);\n" })] },
  { name: 'a rebuilt minified bundle under a new chunk hash', ecosystem: 'npm', previous: [npmBase({ 'dist/chunk-a1b2c3d4.js': bundle('a1b2c3d4', 1) })], candidate: [npmNext({ 'dist/chunk-9f8e7d6c.js': bundle('9f8e7d6c', 2) })] },
  { name: 'requests used in a test file', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/tests/test_live.py': 'import requests\n\n\ndef test_live():\n    requests.get("https://pypi.org")\n' })] },
  { name: 'a class method called fetch', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': 'class Cache { fetch(key) { return this.map.get(key); } }\nmodule.exports = Cache;\n' })] },
];
