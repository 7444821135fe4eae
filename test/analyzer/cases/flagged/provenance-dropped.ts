import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'attestations before, none now', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()], previousMeta: { publisher: 'alice', hasProvenance: true }, candidateMeta: { publisher: 'alice', hasProvenance: false } }];
