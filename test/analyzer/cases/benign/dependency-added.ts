import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

const platforms = { '@esbuild/linux-x64': '0.25.0', '@esbuild/darwin-arm64': '0.25.0', '@esbuild/win32-x64': '0.25.0' };
const bumped = { '@esbuild/linux-x64': '0.25.1', '@esbuild/darwin-arm64': '0.25.1', '@esbuild/win32-x64': '0.25.1' };
export const cases: RuleCase[] = [
  { name: 'unchanged platform optionalDependencies, bumped', ecosystem: 'npm', previous: [npmBase({}, { optionalDependencies: platforms })], candidate: [npmNext({}, { optionalDependencies: bumped })] },
  { name: 'a new devDependency is not installed by users', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { devDependencies: { vitest: '^4.0.0' } })] },
];
