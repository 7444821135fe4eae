import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  // TanStack 2026: a github: optional dependency bypassed the registry.
  { name: 'TanStack 2026 replica: a github: optional dependency', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { optionalDependencies: { 'router-devtools-core': 'github:tanstack-mirror/devtools#a1b2c3d' } })] },
  { name: 'a tarball URL dependency', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { dependencies: { helper: 'https://files.example.invalid/helper-1.0.0.tgz' } })] },
  { name: 'a PEP 508 direct reference', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({}, { metadata: 'Requires-Dist: helper @ git+https://git.example.invalid/helper.git\n' })] },
];
