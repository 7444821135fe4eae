import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const gyp = "{ 'targets': [ { 'target_name': 'addon', 'sources': [ 'addon.cc' ] } ] }\n";
export const cases: RuleCase[] = [
  // esbuild, sharp, puppeteer: the hook was always there.
  { name: 'esbuild-style postinstall that was always there', ecosystem: 'npm', previous: [npmBase({ 'install.js': "const v = '0.25.0';\n" }, { scripts: { postinstall: 'node install.js' } })], candidate: [npmNext({ 'install.js': "const v = '0.25.1';\n" }, { scripts: { postinstall: 'node install.js' } })] },
  { name: 'the implicit node-gyp rebuild made explicit', ecosystem: 'npm', previous: [npmBase({ 'binding.gyp': gyp })], candidate: [npmNext({ 'binding.gyp': gyp }, { scripts: { install: 'node-gyp rebuild' } })] },
  { name: 'a test script appears', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { scripts: { test: 'node --test' } })] },
];
