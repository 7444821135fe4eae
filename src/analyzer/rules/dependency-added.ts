import type { ArtifactView } from '../artifact-view.js';
import { lineOf, npmManifest } from '../npm-manifest.js';
import { pythonDependencies } from '../python-metadata.js';
import { findingOf, type Rule, type RuleContext } from '../rule.js';

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

/** The dependencies `candidate` declares that `baseline` did not, once per name. */
export function addedDependencies(pairs: RuleContext['pairs']): DeclaredDependency[] {
  const out: DeclaredDependency[] = [];
  const seen = new Set<string>();
  for (const { candidate, baseline } of pairs) {
    if (!baseline) continue;
    const before = new Set(declaredDependencies(baseline).map((d) => d.name));
    for (const dep of declaredDependencies(candidate)) {
      if (before.has(dep.name) || seen.has(dep.name)) continue;
      seen.add(dep.name);
      out.push(dep);
    }
  }
  return out;
}

/**
 * A new registry dependency: new code from another package at install time. In the proxy, one
 * that is itself brand new or held is high severity and names its own release and state.
 */
export const dependencyAdded: Rule = {
  id: 'dependency-added',
  description: 'A new registry dependency appears; high when the dependency is itself brand new or held in the proxy.',
  severity: 'low',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    return addedDependencies(ctx.pairs).map((dep) => {
      const status = ctx.dependencyStatuses.get(dep.name);
      if (status && (status.brandNew || status.held)) {
        const why = [
          status.brandNew ? `its first release was published ${status.firstPublishedAt ? status.firstPublishedAt.toISOString() : 'recently'}` : null,
          status.held ? `${status.id} is ${status.state} in Airlock` : `it resolves to ${status.id} (${status.state})`,
        ].filter(Boolean);
        return findingOf(this, {
          path: dep.path,
          line: dep.line,
          severity: 'high',
          related: status.id,
          message: `${dep.path} adds the dependency ${dep.name} (${dep.spec}), which is itself brand new or held: ${why.join('; ')}.`,
        });
      }
      return findingOf(this, { path: dep.path, line: dep.line, message: `${dep.path} adds the dependency ${dep.name} (${dep.spec}).` });
    });
  },
};
