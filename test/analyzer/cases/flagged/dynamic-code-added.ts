import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: "globalThis['ev' + 'al']", ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = (s) => globalThis['ev' + 'al'](s);\n" })] },
  { name: 'new Function', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = (s) => new Function('a', s);\n" })] },
  { name: 'a module calls exec', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/__init__.py': 'def run(src):\n    exec(src)\n' })] },
];
