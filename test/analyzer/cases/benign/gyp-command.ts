import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const idiom = "{\n  'targets': [{\n    'target_name': 'addon',\n    'sources': ['addon.cc'],\n    'include_dirs': [\"<!(node -p \\\"require('node-addon-api').include\\\")\", \"<!@(node -p \\\"require('node-addon-api').include\\\")\", \"<!(node -e \\\"require('nan')\\\")\"],\n    'libraries': ['<!@(pkg-config --libs libpng)']\n  }]\n}\n";
// bcrypt 5.1.1: reads Node's major version, and runs nothing else.
const nodeMajor = "{\n  'variables': { 'node_major': '<!(node -p \\\"process.versions.node.split(\\\\\\\".\\\\\\\")[0]\\\")' },\n  'targets': [{ 'target_name': 'addon', 'sources': ['addon.cc'] }]\n}\n";
export const cases: RuleCase[] = [
  { name: 'the node-addon-api, nan and pkg-config idioms', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'binding.gyp': idiom })] },
  { name: 'printing the Node major version', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'binding.gyp': nodeMajor })] },
];
