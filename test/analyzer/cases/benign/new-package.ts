import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'a release with a baseline', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()] }];
