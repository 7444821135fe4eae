import type { ArtifactView } from '../artifact-view.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

const hookNames = /^(?:sitecustomize|usercustomize)\.py$/;

function installedHooks(view: ArtifactView): string[] {
  return [...view.files.keys()].filter((path) => {
    const rel = view.format === 'wheel' ? path.replace(/^[^/]+\.data\/(?:purelib|platlib)\//, '') : path.replace(/^src\//, '');
    return hookNames.test(rel);
  });
}

/** sitecustomize.py / usercustomize.py at the install root run at every interpreter start. */
export const startupHookAdded: Rule = {
  id: 'startup-hook-added',
  description: 'A sitecustomize.py or usercustomize.py appears at the install root (runs at every interpreter start).',
  severity: 'critical',
  ecosystems: ['pypi'],
  check(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      const before = new Set(baseline ? installedHooks(baseline).map((p) => p.slice(p.lastIndexOf('/') + 1)) : []);
      for (const path of installedHooks(candidate)) {
        const name = path.slice(path.lastIndexOf('/') + 1);
        if (before.has(name) || seen.has(path)) continue;
        seen.add(path);
        out.push(findingOf(this, { path, line: null, message: `${path} is new and Python imports it at every interpreter start.` }));
      }
    }
    return out;
  },
};
