import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'overrides window.fetch', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': 'const orig = window.fetch;\nwindow.fetch = async (...a) => orig(...a);\n' })] },
  { name: 'wraps window.ethereum.request', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "if (window.ethereum) { const r = window.ethereum.request; window['ethereum'].request = (x) => r(x); }\n" })] },
  { name: 'patches XMLHttpRequest.prototype.send', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': 'const s = XMLHttpRequest.prototype.send;\nXMLHttpRequest.prototype.send = function (b) { return s.call(this, b); };\n' })] },
];
