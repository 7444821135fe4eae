import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'npm publish in the README', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'README.md': 'Release with `npm publish`.\n' })] },
  { name: 'a release tool that always ran npm publish', ecosystem: 'npm', previous: [npmBase({ 'release.js': "require('child_process').execSync('npm publish');\n" })], candidate: [npmNext({ 'release.js': "require('child_process').execSync('npm publish');\nconsole.log('done');\n" })] },
];
