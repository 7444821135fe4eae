import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, sdistBase, sdistNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'an ordinary tarball', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()] },
  { name: 'a zip sdist', ecosystem: 'pypi', previous: [sdistBase({}, { container: 'zip' })], candidate: [sdistNext({}, { container: 'zip' })] },
];
