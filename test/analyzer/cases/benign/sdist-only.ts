import type { RuleCase } from '../../build-artifacts.js';
import { sdistBase, sdistNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'only sdists, as always', ecosystem: 'pypi', previous: [sdistBase()], candidate: [sdistNext()] },
  { name: 'sdist and wheel, as always', ecosystem: 'pypi', previous: [sdistBase(), wheelBase()], candidate: [sdistNext(), wheelNext()] },
];
