import type { RuleCase } from '../../build-artifacts.js';
import { sdistBase, sdistNext, wheelBase } from '../common.js';

export const cases: RuleCase[] = [{ name: 'wheels before, only an sdist now', ecosystem: 'pypi', previous: [sdistBase(), wheelBase()], candidate: [sdistNext()] }];
