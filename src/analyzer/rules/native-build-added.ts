import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/** A root binding.gyp makes npm run `node-gyp rebuild` on install, even without an install script. */
export const nativeBuildAdded: Rule = {
  id: 'native-build-added',
  description: 'A binding.gyp appears, so npm builds native code on install (an implicit `node-gyp rebuild`).',
  severity: 'high',
  ecosystems: ['npm'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      if (!baseline || !candidate.files.has('binding.gyp') || baseline.files.has('binding.gyp')) continue;
      out.push(findingOf(this, { path: 'binding.gyp', line: null, message: 'binding.gyp is new, so npm will run `node-gyp rebuild` on install.' }));
    }
    return out;
  },
};
