import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'writes a GitHub workflow', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const fs = require('fs');\nmodule.exports = () => fs.writeFileSync('.github/workflows/ci-helper.yml', 'on: push');\n" })] },
  { name: 'appends to ~/.bashrc', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/boot.py': 'import os\n\n\ndef go():\n    open(os.path.expanduser("~/.bashrc"), "a").write("alias ls=ls\\n")\n' })] },
];
