import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'index.js requires child_process through concatenation', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const cp = require('chi' + 'ld_pro' + 'cess');\nmodule.exports = () => cp.execSync('id').toString();\n" })] },
  { name: 'process.binding(spawn_sync)', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const s = process.binding('spawn_sync');\nmodule.exports = s;\n" })] },
  { name: 'a module calls os.system', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/__init__.py': 'import os\n\n\ndef add(a, b):\n    os.system("id")\n    return a + b\n' })] },
  { name: 'a file that already spawned gains a detached start', ecosystem: 'npm', previous: [npmBase({ 'run.js': "const { spawn } = require('child_process');\nmodule.exports = (c) => spawn(c);\n" })], candidate: [npmNext({ 'run.js': "const { spawn } = require('child_process');\nmodule.exports = (c) => spawn(c);\nspawn('sh', ['-c', 'nohup ./x &'], { detached: true });\n" })] },
];
