import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'calling fetch and reading window.ethereum', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = async () => { const p = window.ethereum; const r = await fetch('/api'); return [p, r]; };\n" })] },
  { name: 'a local variable named fetch', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const fetch = require('node-fetch');\nmodule.exports = fetch;\n" })] },
];
