import { findingOf, type Rule } from '../rule.js';

/** Wheels before, only an sdist now: every install builds locally (and runs setup.py). */
export const sdistOnly: Rule = {
  id: 'sdist-only',
  description: 'The baseline had wheels but this release has only an sdist, forcing a local build.',
  severity: 'medium',
  ecosystems: ['pypi'],
  check(ctx) {
    const hadWheels = ctx.previous.some((v) => v.format === 'wheel');
    const hasWheels = ctx.candidate.some((v) => v.format === 'wheel');
    const sdist = ctx.candidate.find((v) => v.format === 'sdist');
    if (!hadWheels || hasWheels || !sdist) return [];
    return [findingOf(this, { path: null, message: `This release ships only the sdist ${sdist.filename}, although the baseline had wheels, so installs build it locally.` })];
  },
};
