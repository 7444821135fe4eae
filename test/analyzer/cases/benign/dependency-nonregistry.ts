import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'an npm: alias and ordinary ranges', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({}, { dependencies: { 'string-width-cjs': 'npm:string-width@^4.2.0', semver: '^7.6.0' } })] },
  { name: 'a github: dependency that was already there', ecosystem: 'npm', previous: [npmBase({}, { dependencies: { x: 'github:acme/x#v1' } })], candidate: [npmNext({}, { dependencies: { x: 'github:acme/x#v1' } })] },
  { name: 'a Requires-Dist with an environment marker', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({}, { metadata: 'Requires-Dist: tomli>=1.1; python_version < "3.11"\n' })] },
];
