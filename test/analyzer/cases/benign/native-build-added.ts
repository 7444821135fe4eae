import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const gyp = "{ 'targets': [ { 'target_name': 'addon', 'sources': [ 'addon.cc' ] } ] }\n";
export const cases: RuleCase[] = [{ name: 'binding.gyp was always there', ecosystem: 'npm', previous: [npmBase({ 'binding.gyp': gyp })], candidate: [npmNext({ 'binding.gyp': gyp.replace('addon.cc', 'addon2.cc') })] }];
