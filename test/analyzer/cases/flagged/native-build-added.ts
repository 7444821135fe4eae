import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const gyp = "{ 'targets': [ { 'target_name': 'addon', 'sources': [ 'src/addon.cc' ] } ] }\n";
export const cases: RuleCase[] = [{ name: 'a binding.gyp appears', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'binding.gyp': gyp, 'src/addon.cc': '// addon\n' })] }];
