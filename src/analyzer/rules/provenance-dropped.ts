import { findingOf, type Rule } from '../rule.js';

/** Earlier releases came from trusted publishing / with attestations; this one does not. */
export const provenanceDropped: Rule = {
  id: 'provenance-dropped',
  description: 'Earlier releases had provenance attestations or trusted publishing, this one has none.',
  severity: 'high',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    if (ctx.previousMeta?.hasProvenance !== true || !ctx.candidateMeta || ctx.candidateMeta.hasProvenance === true) return [];
    return [findingOf(this, { path: null, message: 'This release has no provenance attestation although the baseline was published with one.' })];
  },
};
