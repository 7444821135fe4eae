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
  // Most versions are plain `x.y.z`: compared as three numbers, without building two SemVer
  // objects per comparison (sorting a package's thousands of releases did that n log n times).
  const pa = plainVersion.exec(a);
  const pb = pa && plainVersion.exec(b);
  if (pa && pb) return Number(pa[1]) - Number(pb[1]) || Number(pa[2]) - Number(pb[2]) || Number(pa[3]) - Number(pb[3]);
  const va = semver.valid(a, true);
  const vb = semver.valid(b, true);
  if (va && vb) return semver.compare(va, vb, true);
  if (va) return 1;
  if (vb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `major.minor.patch` with no pre-release, build or leading zeros, each part a safe integer. */
const plainVersion = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;
