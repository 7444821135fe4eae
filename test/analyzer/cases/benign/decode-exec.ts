import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'base64 decoding of data that is only returned', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = (s) => Buffer.from(s, 'base64').toString('utf8');\n" })] },
  { name: 'b64decode of an image in Python', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/img.py': 'import base64\n\n\ndef load(s):\n    return base64.b64decode(s)\n' })] },
];
