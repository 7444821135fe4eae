import { lineOf, npmManifest } from '../npm-manifest.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/** A new command on the user's PATH. */
export const binAdded: Rule = {
  id: 'bin-added',
  description: 'A new `bin` entry puts a command on the user’s PATH.',
  severity: 'low',
  ecosystems: ['npm'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      const manifest = npmManifest(candidate);
      const before = baseline ? npmManifest(baseline) : null;
      if (!manifest || !before) continue;
      for (const [name, target] of Object.entries(manifest.bin)) {
        if (name in before.bin) continue;
        out.push(findingOf(this, { path: 'package.json', line: lineOf(manifest.text, `"${name}"`), message: `package.json adds the command \`${name}\` (runs ${target}).` }));
      }
    }
    return out;
  },
};
