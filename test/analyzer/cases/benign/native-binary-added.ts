import type { RuleCase } from '../../build-artifacts.js';
import { npm } from '../../build-artifacts.js';

const elf = (fill: number) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120, fill)]);
export const cases: RuleCase[] = [
  // @esbuild/linux-x64: the binary is the package; a new build is not a new binary.
  { name: 'an esbuild platform package with its rebuilt binary', ecosystem: 'npm', previous: [npm('0.25.0', { 'bin/esbuild': elf(1) }, {}, '@esbuild/linux-x64')], candidate: [npm('0.25.1', { 'bin/esbuild': elf(2) }, {}, '@esbuild/linux-x64')] },
  { name: 'a versioned .so renamed in the same directory', ecosystem: 'npm', previous: [npm('1.0.0', { 'lib/libvips.so.42.1.0': elf(1) })], candidate: [npm('1.0.1', { 'lib/libvips.so.42.1.1': elf(2) })] },
];
