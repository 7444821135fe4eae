import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'the same publisher', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()], previousMeta: { publisher: 'Alice' }, candidateMeta: { publisher: 'alice' } }];
