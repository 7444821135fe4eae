import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'runs npm publish', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const { execSync } = require('child_process');\nmodule.exports = (dir) => execSync('npm publish --access public', { cwd: dir });\n" })] },
  { name: 'runs twine upload', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/rel.py': 'import subprocess\n\n\ndef go(d):\n    subprocess.run(["sh", "-c", "twine upload " + d])\n' })] },
];
