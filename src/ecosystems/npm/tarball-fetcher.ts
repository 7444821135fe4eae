import type { AppContext } from '../../app-context.js';
import type { Release } from '../../domain/release.js';
import type { Artifact } from '../../store/release-store.js';
import { ArtifactFetcher, type StoredArtifact } from '../../upstream/artifact-fetcher.js';
import type { UpstreamClient } from '../../upstream/upstream-client.js';
import { upstreamTarballUrl } from './tarball-url.js';

/** A verified tarball in the BlobStore. */
export type StoredTarball = StoredArtifact;

/**
 * npm tarballs through the shared artifact fetcher (verified, stored once, one upstream fetch per
 * burst, the route and the analysis runner sharing it), bound by the digests from `dist.integrity`
 * and `dist.shasum`, and fetched from the upstream host only.
 */
export class TarballFetcher {
  private readonly tarballs: ArtifactFetcher<Release>;

  constructor(ctx: AppContext, client: UpstreamClient) {
    this.tarballs = new ArtifactFetcher<Release>(
      {
        label: 'npm',
        digestNoun: 'integrity',
        digests: (artifact) => artifact.digests,
        url: (artifact, release) => {
          const url = new URL(artifact.url);
          // Stored URLs were checked when recorded, but the upstream setting may have changed since:
          // then the tarball comes from the canonical path on the current upstream.
          return client.isAllowed(url) ? url : upstreamTarballUrl(ctx.config.npmUpstream, release.name, release.version, null);
        },
      },
      { store: ctx.store, blobs: ctx.blobs, client, log: ctx.log },
    );
  }

  /** The verified tarball of an artifact, fetched from upstream first when it is not stored. */
  ensure(release: Release, artifact: Artifact): Promise<StoredTarball> {
    return this.tarballs.ensure(artifact, release);
  }

  /** Forgets a tarball whose blob turned out to be missing (storage wiped under a running process, or evicted). */
  forget(artifact: Pick<Artifact, 'id'>): void {
    this.tarballs.forget(artifact.id);
  }
}
