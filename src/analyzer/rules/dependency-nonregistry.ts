import { isNonRegistrySpec } from '../npm-manifest.js';
import { isDirectReference } from '../python-metadata.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';
import { declaredDependencies } from './dependency-added.js';

/** A git/github/http/file dependency: code that bypasses the registry (and this quarantine). */
export const dependencyNonregistry: Rule = {
  id: 'dependency-nonregistry',
  description: 'A dependency points at git, GitHub, a URL or a file instead of the registry.',
  severity: 'critical',
  ecosystems: ['npm', 'pypi'],
  check(ctx) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const { candidate, baseline } of ctx.pairs) {
      const before = new Set(baseline ? declaredDependencies(baseline).map((d) => `${d.name}\0${d.spec}`) : []);
      for (const dep of declaredDependencies(candidate)) {
        const external = candidate.format === 'npm' ? isNonRegistrySpec(dep.spec) : isDirectReference(dep.spec);
        if (!external || before.has(`${dep.name}\0${dep.spec}`) || seen.has(dep.name)) continue;
        seen.add(dep.name);
        out.push(
          findingOf(this, {
            path: dep.path,
            line: dep.line,
            message: `${dep.path} makes ${dep.name} come from outside the registry: \`${dep.spec}\`.`,
          }),
        );
      }
    }
    return out;
  },
};
