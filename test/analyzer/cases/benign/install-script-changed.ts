import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const install = (v: string) => `const fs = require('fs');\nconst path = require('path');\nconst version = '${v}';\nfs.writeFileSync(path.join(__dirname, 'version.txt'), version);\n`;
export const cases: RuleCase[] = [
  { name: 'install.js only bumps its version constant', ecosystem: 'npm', previous: [npmBase({ 'install.js': install('0.25.0') }, { scripts: { postinstall: 'node install.js' } })], candidate: [npmNext({ 'install.js': install('0.25.1') }, { scripts: { postinstall: 'node install.js' } })] },
  { name: 'whitespace-only command change', ecosystem: 'npm', previous: [npmBase({}, { scripts: { install: 'node  check.js' } })], candidate: [npmNext({}, { scripts: { install: 'node check.js' } })] },
];
