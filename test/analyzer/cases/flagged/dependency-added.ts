import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  // axios 2026: the release itself only gained a dependency.
  { name: 'axios 2026 replica: only a new dependency', ecosystem: 'npm', previous: [npmBase({}, { dependencies: { 'follow-redirects': '^1.15.6' } })], candidate: [npmNext({}, { dependencies: { 'follow-redirects': '^1.15.6', 'plain-crypto-js': '^4.2.1' } })] },
  { name: 'a wheel gains a Requires-Dist', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({}, { metadata: 'Requires-Dist: requests>=2\n' })] },
];
