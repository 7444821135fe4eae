import type { AppContext } from '../../app-context.js';
import type { ArtifactProvider, ReleaseArtifact } from '../../quarantine/artifact-provider.js';
import type { FileFetcher } from './file-fetcher.js';
import { compareVersions, isPrerelease } from './pep440-version.js';

/**
 * PyPI files for the analysis runner: every recorded file of a release (sdist and wheels), fetched
 * and verified through the same single-flight the file route uses, and PEP 440 version order.
 */
export function pypiArtifacts(ctx: AppContext, fetcher: FileFetcher): ArtifactProvider {
  return {
    async artifactsOf(release, only) {
      const out: ReleaseArtifact[] = [];
      for (const artifact of await ctx.store.listArtifacts(release.id)) {
        if (only && !only(artifact.filename)) continue;
        const key = await fetcher.ensure(artifact);
        out.push({ filename: artifact.filename, open: () => ctx.blobs.open(key) });
      }
      return out;
    },
    compareVersions,
    isPrerelease,
  };
}
