import { entryPoints } from '../python-metadata.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/** A new console script or plugin entry point (plugins are loaded by other programs). */
export const entryPointAdded: Rule = {
  id: 'entry-point-added',
  description: 'A new console script or plugin entry point appears.',
  severity: 'low',
  ecosystems: ['pypi'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      if (!baseline) continue;
      const before = new Set(entryPoints(baseline).map((e) => `${e.group}:${e.name}`));
      for (const e of entryPoints(candidate)) {
        const id = `${e.group}:${e.name}`;
        if (before.has(id) || seen.has(id)) continue;
        seen.add(id);
        out.push(findingOf(this, { path: e.path, message: `${e.path} adds the ${e.group} entry point ${e.name} = ${e.value}.` }));
      }
    }
    return out;
  },
};
