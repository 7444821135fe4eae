import type { ArtifactView } from '../artifact-view.js';
import { lineOf, npmManifest } from '../npm-manifest.js';
import { pythonDependencies } from '../python-metadata.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../types.js';

export interface DeclaredDependency {
  name: string;
  spec: string;
  path: string;
  line: number | null;
}

/** Dependencies an artifact declares (npm: dependencies, optional and peer; PyPI: Requires-Dist and friends). */
export function declaredDependencies(view: ArtifactView): DeclaredDependency[] {
  if (view.format === 'npm') {
    const manifest = npmManifest(view);
    if (!manifest) return [];
    return manifest.dependencies.map((d) => ({ name: d.name, spec: d.spec, path: 'package.json', line: lineOf(manifest.text, `"${d.name}"`) }));
  }
  return pythonDependencies(view).map((d) => ({ name: d.name, spec: d.spec, path: d.path, line: null }));
}

/** A new registry dependency: new code from another package at install time. */
export const dependencyAdded: Rule = {
  id: 'dependency-added',
  description: 'A new registry dependency appears.',
  severity: 'low',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      if (!baseline) continue;
      const before = new Set(declaredDependencies(baseline).map((d) => d.name));
      for (const dep of declaredDependencies(candidate)) {
        if (before.has(dep.name) || seen.has(dep.name)) continue;
        seen.add(dep.name);
        out.push(findingOf(this, { path: dep.path, line: dep.line, message: `${dep.path} adds the dependency ${dep.name} (${dep.spec}).` }));
      }
    }
    return out;
  },
};
