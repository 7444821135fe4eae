import semver from 'semver';
import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import type { ArtifactProvider } from '../../quarantine/artifact-provider.js';
import { formatReleaseId } from '../../domain/release-id.js';
import type { NpmIndex } from './npm-index.js';
import type { TarballFetcher } from './tarball-fetcher.js';

/**
 * npm tarballs for the analysis runner: a release's one tarball, fetched and verified through the
 * same single-flight the tarball route uses, and semver order.
 */
export function npmArtifacts(ctx: AppContext, index: NpmIndex, fetcher: TarballFetcher): ArtifactProvider {
  return {
    async artifactsOf(release) {
      let artifact = await index.artifactOf(release);
      if (!artifact) {
        // Not recorded yet (trusted by age, or seen by another replica): record it from the packument.
        const snapshot = await index.package(release.name);
        artifact = await index.artifactOf(release, snapshot?.packument.versions.get(release.version));
      }
      if (!artifact) throw new AirlockError('ENOTFOUND', `${formatReleaseId(release)} has no tarball recorded`, { subject: formatReleaseId(release) });
      const { key } = await fetcher.ensure(release, artifact);
      return [{ filename: artifact.filename, open: () => ctx.blobs.open(key) }];
    },
    compareVersions,
    isPrerelease: (version) => semver.prerelease(version, true) !== null,
  };
}

/** Semver order; versions semver cannot read sort before all others, by text. */
export function compareVersions(a: string, b: string): number {
  const va = semver.valid(a, true);
  const vb = semver.valid(b, true);
  if (va && vb) return semver.compare(va, vb, true);
  if (va) return 1;
  if (vb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
