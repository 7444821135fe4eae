import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'reads ~/.npmrc', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const fs = require('fs');\nconst os = require('os');\nmodule.exports = () => fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\n" })] },
  { name: 'dumps the environment', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': 'module.exports = () => JSON.stringify(process.env);\n' })] },
  { name: 'reads ~/.aws in Python', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/cfg.py': 'import os\nCREDS = os.path.expanduser("~/.aws/credentials")\n' })] },
];
