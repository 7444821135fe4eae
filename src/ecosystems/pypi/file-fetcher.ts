import { createHash } from 'node:crypto';
import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import type { Artifact } from '../../store/release-store.js';
import { ArtifactFetcher } from '../../upstream/artifact-fetcher.js';
import { SingleFlight } from '../../upstream/single-flight.js';
import { redact, type UpstreamClient } from '../../upstream/upstream-client.js';

/**
 * PyPI files through the shared artifact fetcher (verified, stored once, one upstream fetch per
 * burst), bound by the sha256 upstream listed and fetched only from the allowed file hosts; and
 * the PEP 658 `.metadata` siblings, which only PyPI has.
 */
export class FileFetcher {
  private readonly files: ArtifactFetcher<null>;
  private readonly metadataFlights = new SingleFlight<Buffer>();

  constructor(
    private readonly ctx: AppContext,
    private readonly client: UpstreamClient,
  ) {
    this.files = new ArtifactFetcher(
      {
        label: 'pypi',
        digestNoun: 'sha256',
        // PyPI's JSON API lists only sha256 for every file; md5 and blake2b are not always there.
        digests: (artifact) => (artifact.digests.sha256 ? { sha256: artifact.digests.sha256 } : null),
        url: (artifact) => {
          const url = new URL(artifact.url);
          // A file host is only ever one the settings allow; there is no canonical path to fall back on.
          if (!client.isAllowed(url)) throw new AirlockError('EUPSTREAM', `refusing to fetch ${redact(url)}: not an allowed PyPI file host`);
          return url;
        },
      },
      { store: ctx.store, blobs: ctx.blobs, client, log: ctx.log },
    );
  }

  /** The blob key of the artifact's verified bytes, fetching them first when they are not stored. */
  async ensure(artifact: Artifact): Promise<string> {
    return (await this.files.ensure(artifact, null)).key;
  }

  /** Forgets an artifact's blob key (its blob was evicted: the next request fetches it again). */
  forget(artifactId: number): void {
    this.files.forget(artifactId);
  }

  /**
   * The PEP 658 `.metadata` file of an upstream file, checked against the sha256 upstream gave for
   * it, and kept in the store (it is small) so it survives restarts and upstream outages.
   */
  async metadata(fileUrl: URL, sha256: string, subject: string): Promise<Buffer> {
    const key = `pypi:metadata:${sha256}`;
    return this.metadataFlights.run(key, async () => {
      const stored = await this.ctx.store.getDocument(key);
      if (stored) return stored.body;
      const url = new URL(`${fileUrl.href}.metadata`);
      const result = await this.client.getDocument(url);
      if (result.status !== 200) throw new AirlockError('ENOTFOUND', `pypi upstream has no ${redact(url)}`, { subject });
      const actual = createHash('sha256').update(result.body).digest('hex');
      if (actual !== sha256)
        throw new AirlockError('EINTEGRITY', `${redact(url)} does not match its sha256 (expected ${sha256}, got ${actual})`, { subject });
      await this.ctx.store.putDocument(key, { body: result.body, etag: null, lastModified: null, fetchedAt: this.ctx.clock.now() });
      return result.body;
    });
  }
}
