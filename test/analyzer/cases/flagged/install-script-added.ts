import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a postinstall appears', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'setup.js': "require('./index.js');\n" }, { scripts: { postinstall: 'node setup.js' } })] },
  { name: 'a preinstall runs a shell script', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'pre.sh': 'echo hi\n' }, { scripts: { preinstall: 'sh pre.sh' } })] },
];
