import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'another account published', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()], previousMeta: { publisher: 'alice' }, candidateMeta: { publisher: 'mallory' } }];
