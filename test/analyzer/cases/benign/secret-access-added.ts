import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const config = "const os = require('os');\nconst path = require('path');\nmodule.exports = () => path.join(os.homedir(), '.npmrc');\n";
export const cases: RuleCase[] = [
  { name: 'an npm config library that always read ~/.npmrc', ecosystem: 'npm', previous: [npmBase({ 'config.js': config })], candidate: [npmNext({ 'config.js': config + '// v2\n' })] },
  { name: 'reading one environment variable', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = () => process.env.HOME || '/tmp';\n" })] },
];
