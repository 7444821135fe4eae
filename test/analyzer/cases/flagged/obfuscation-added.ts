import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const names = Array.from({ length: 12 }, (_, i) => `_0x${(0x1a2b + i * 7).toString(16)}`);
const obfuscated =
  `var ${names[0]}=['log','inert'];(function(${names[1]},${names[2]}){var ${names[3]}=function(${names[4]}){while(--${names[4]}){${names[1]}['push'](${names[1]}['shift']());}};${names[3]}(++${names[2]});}(${names[0]},0x1f));` +
  names.slice(5).map((n) => `var ${n}=${names[0]}[0x0];`).join('') +
  'while(!![]){break;}\nmodule.exports=1;\n';
export const cases: RuleCase[] = [
  { name: 'javascript-obfuscator style code', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': obfuscated })] },
  { name: 'code hidden after a long run of spaces', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "module.exports = 1;" + ' '.repeat(300) + "require('./x');\n", 'x.js': '' })] },
];
