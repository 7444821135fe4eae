import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'provenance both times', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()], previousMeta: { hasProvenance: true }, candidateMeta: { hasProvenance: true } },
  { name: 'never had provenance', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext()], previousMeta: { hasProvenance: false }, candidateMeta: { hasProvenance: false } },
];
