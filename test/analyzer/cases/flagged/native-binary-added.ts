import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
export const cases: RuleCase[] = [
  { name: 'an ELF file appears under a harmless name', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'lib/helper.dat': elf })] },
  { name: 'a .node module appears', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'build/Release/addon.node': elf })] },
];
