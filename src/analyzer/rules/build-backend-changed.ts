import { buildSystem, type BuildSystem } from '../python-metadata.js';
import { findingOf, type Rule } from '../rule.js';
import type { Finding } from '../../domain/finding.js';

/** Backends of the major build tools; moving between them is routine. */
const wellKnown = new Set([
  'setuptools.build_meta', 'setuptools.build_meta:__legacy__', 'poetry.core.masonry.api', 'poetry.masonry.api', 'hatchling.build',
  'flit_core.buildapi', 'flit.buildapi', 'pdm.backend', 'pdm.pep517.api', 'maturin', 'mesonpy', 'scikit_build_core.build',
  'sipbuild.api', 'whey', 'uv_build', 'enscons.api',
]);
const legacyBackend = 'setuptools.build_meta:__legacy__';
const legacy: BuildSystem = { backend: legacyBackend, backendPath: null };

/** A different build backend, or an in-tree one (`backend-path`), runs different code at build time. */
export const buildBackendChanged: Rule = {
  id: 'build-backend-changed',
  description: 'pyproject.toml changes `build-backend` or `backend-path` (medium between well-known backends).',
  severity: 'high',
  ecosystems: ['pypi'],
  check(ctx) {
    if (ctx.firstRelease) return [];
    const out: Finding[] = [];
    for (const { candidate, baseline } of ctx.pairs) {
      if (candidate.format !== 'sdist' || baseline?.format !== 'sdist') continue;
      const now = { ...legacy, ...stripNull(buildSystem(candidate)) };
      const before = { ...legacy, ...stripNull(buildSystem(baseline)) };
      const nowBackend = now.backend ?? legacyBackend;
      const beforeBackend = before.backend ?? legacyBackend;
      const pathChanged = JSON.stringify(now.backendPath ?? null) !== JSON.stringify(before.backendPath ?? null);
      if (pathChanged && now.backendPath) {
        out.push(findingOf(this, { path: 'pyproject.toml', message: `pyproject.toml sets backend-path to ${JSON.stringify(now.backendPath)}, so the build runs backend code shipped in the sdist.` }));
      } else if (nowBackend !== beforeBackend) {
        const routine = wellKnown.has(nowBackend) && wellKnown.has(beforeBackend);
        out.push(
          findingOf(this, {
            path: 'pyproject.toml',
            message: `pyproject.toml changes the build backend from ${beforeBackend} to ${nowBackend}.`,
            severity: routine ? 'medium' : 'high',
          }),
        );
      }
    }
    return out;
  },
};

function stripNull(bs: BuildSystem | null): Partial<BuildSystem> {
  if (!bs) return {};
  const out: Partial<BuildSystem> = {};
  if (bs.backend !== null) out.backend = bs.backend;
  if (bs.backendPath !== null) out.backendPath = bs.backendPath;
  return out;
}
