import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'URLs in docs, tests and comments', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'README.md': 'See https://docs.example.invalid/guide\n', 'test/api.test.js': "fetch('https://api.example.invalid/v1');\n", 'index.js': "// docs: https://docs.example.invalid/add\nmodule.exports = (a, b) => a + b;\n" })] },
  { name: 'XML namespaces and localhost', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const NS = 'http://www.w3.org/2000/svg';\nconst dev = 'http://localhost:3000';\nmodule.exports = { NS, dev };\n" })] },
  { name: 'the same endpoint as before', ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/api.py': 'BASE = "https://api.demo.invalid/v2"\n' })], candidate: [wheelNext({ 'demo_py/api.py': 'BASE = "https://api.demo.invalid/v2"\nTIMEOUT = 5\n' })] },
  { name: 'a docstring URL', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/__init__.py': '"""Demo. See https://docs.demo.invalid for more."""\n\n\ndef add(a, b):\n    return a + b\n' })] },
];
