import type { RuleCase } from '../../build-artifacts.js';
import { npmNext, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a first npm release', ecosystem: 'npm', candidate: [npmNext()] },
  { name: 'a first PyPI release', ecosystem: 'pypi', candidate: [wheelNext()] },
];
