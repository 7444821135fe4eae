import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

const runner = (extra: string) => `const { spawn } = require('child_process');\nmodule.exports = (cmd) => spawn(cmd, { stdio: 'inherit' });${extra}\n`;
export const cases: RuleCase[] = [
  { name: 'spawn was always in that file', ecosystem: 'npm', previous: [npmBase({ 'run.js': runner('') })], candidate: [npmNext({ 'run.js': runner('\nmodule.exports.version = 2;') })] },
  { name: 'RegExp exec is not a process', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': 'const re = /a(b)/;\nmodule.exports = (s) => re.exec(s);\n' })] },
  { name: 'cursor.execute is not a process', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/db.py': 'def q(cursor):\n    cursor.execute("select 1")\n' })] },
  { name: 'a detached start that was always there', ecosystem: 'npm', previous: [npmBase({ 'd.js': "const { spawn } = require('child_process');\nspawn('x', [], { detached: true });\n" })], candidate: [npmNext({ 'd.js': "const { spawn } = require('child_process');\nspawn('x', [], { detached: true });\n// 1.0.1\n" })] },
];
