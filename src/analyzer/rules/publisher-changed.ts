import { findingOf, type Rule } from '../rule.js';

/** A different account published this release. */
export const publisherChanged: Rule = {
  id: 'publisher-changed',
  description: 'A different account published this release than the baseline.',
  severity: 'medium',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    const before = ctx.previousMeta?.publisher?.trim();
    const now = ctx.candidateMeta?.publisher?.trim();
    if (!before || !now || before.toLowerCase() === now.toLowerCase()) return [];
    return [findingOf(this, { path: null, message: `This release was published by ${now}, the baseline by ${before}.` })];
  },
};
