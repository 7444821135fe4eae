import { findingOf, type Rule } from '../rule.js';

/** Nothing to diff against. */
export const newPackage: Rule = {
  id: 'new-package',
  description: 'There is no earlier release to diff against.',
  severity: 'medium',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    if (!ctx.firstRelease) return [];
    return [findingOf(this, { path: null, message: 'This is the first release of the package, so there is no baseline to diff against.' })];
  },
};
