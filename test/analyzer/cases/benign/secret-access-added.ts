import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

const config = "const os = require('os');\nconst path = require('path');\nmodule.exports = () => path.join(os.homedir(), '.npmrc');\n";
export const cases: RuleCase[] = [
  { name: 'an npm config library that always read ~/.npmrc', ecosystem: 'npm', previous: [npmBase({ 'config.js': config })], candidate: [npmNext({ 'config.js': config + '// v2\n' })] },
  { name: 'reading one environment variable', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = () => process.env.HOME || '/tmp';\n" })] },
  { name: 'handing the environment to a child process', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'run.js': "const { spawn } = require('child_process');\nmodule.exports = (c) => spawn(c, [], { env: { ...process.env, CI: '1' } });\n" })] },
  { name: 'os.environ.copy() for subprocess env', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/run.py': 'import os, subprocess\n\n\ndef run(c):\n    env = os.environ.copy()\n    return subprocess.run(c, env=env)\n' })] },
];
