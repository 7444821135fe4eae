import type { AppContext } from '../../app-context.js';
import { AirlockError, isAirlockError } from '../../errors.js';
import type { Release } from '../../domain/release.js';
import type { Artifact } from '../../store/release-store.js';
import { SingleFlight } from '../../upstream/single-flight.js';
import { redact, type UpstreamClient } from '../../upstream/upstream-client.js';
import { upstreamTarballUrl } from './tarball-url.js';

/** A verified tarball in the BlobStore. */
export interface StoredTarball {
  key: string;
  size: number;
}

/**
 * Brings tarballs into the BlobStore, verified against the digests from `dist.integrity` and
 * `dist.shasum`, once per concurrent burst: the tarball route and the analysis runner share one
 * fetch. Bytes that do not match are never stored or served.
 */
export class TarballFetcher {
  private readonly flights = new SingleFlight<StoredTarball>();
  /** Artifact id → stored tarball, for tarballs this process has seen stored. */
  private readonly known = new Map<number, StoredTarball>();

  constructor(
    private readonly ctx: AppContext,
    private readonly client: UpstreamClient,
  ) {}

  /** The verified tarball of an artifact, fetched from upstream first when it is not stored. */
  async ensure(release: Release, artifact: Artifact): Promise<StoredTarball> {
    const cached = this.known.get(artifact.id);
    if (cached) return cached;
    const stored = await this.flights.run(String(artifact.id), () => this.fetch(release, artifact));
    this.known.set(artifact.id, stored);
    return stored;
  }

  /** Forgets a tarball whose blob turned out to be missing (storage wiped under a running process, or evicted). */
  forget(artifact: Pick<Artifact, 'id'>): void {
    this.known.delete(artifact.id);
  }

  private async fetch(release: Release, artifact: Artifact): Promise<StoredTarball> {
    // Another replica (or an earlier run) may have stored it: the store's column is the truth.
    const current = (await this.ctx.store.listArtifacts(artifact.releaseId)).find((a) => a.id === artifact.id) ?? artifact;
    if (current.blobKey) {
      const stat = await this.ctx.blobs.stat(current.blobKey);
      if (stat) {
        // Once per process per tarball: gives blobs stored before sizes were recorded their size (AIRLOCK_CACHE_MAX counts it).
        await this.ctx.store.setArtifactBlob(current.id, current.blobKey, stat.size);
        return { key: current.blobKey, size: stat.size };
      }
    }
    if (Object.keys(current.digests).length === 0)
      throw new AirlockError('EINTEGRITY', `${current.filename} has no integrity or shasum upstream to verify it by; Airlock does not serve it`);
    // Stored URLs were checked when recorded, but the upstream setting may have changed since.
    let url = new URL(current.url);
    if (!this.client.isAllowed(url)) {
      url = upstreamTarballUrl(this.ctx.config.npmUpstream, release.name, release.version, null);
    }
    const first = { answered: false };
    try {
      return await this.download(url, current, first);
    } catch (err) {
      // Bytes that fail their digest, or a body broken off after upstream answered, can be an
      // upstream hiccup (a CDN answering 200 with an empty or cut body under load): fetch once
      // more before failing, so a passing glitch is not held for review as a bad tarball. An
      // upstream that does not answer at all is left to the callers' own retries.
      if (!first.answered || !isAirlockError(err) || (err.code !== 'EINTEGRITY' && err.code !== 'EUPSTREAMDOWN')) throw err;
      this.ctx.log(`npm: fetching ${current.filename} again after: ${err.message}`);
      return await this.download(url, current, { answered: false });
    }
  }

  private async download(url: URL, current: Artifact, attempt: { answered: boolean }): Promise<StoredTarball> {
    const { body, size } = await this.client.getStream(url);
    attempt.answered = true;
    let received = 0;
    const counted = (async function* () {
      for await (const chunk of body) {
        received += chunk.byteLength;
        yield chunk;
      }
    })();
    try {
      const info = await this.ctx.blobs.put(counted, current.digests);
      await this.ctx.store.setArtifactBlob(current.id, info.key, info.size);
      return { key: info.key, size: info.size };
    } catch (err) {
      if (isAirlockError(err) && err.code === 'EINTEGRITY') {
        const got = size === null ? `${received} bytes` : `${received} of ${size} bytes`;
        this.ctx.log(`npm: ${current.filename} from ${redact(url)} failed verification (${got}); nothing stored: ${err.message}`);
        throw new AirlockError('EINTEGRITY', `${current.filename} from upstream does not match the integrity upstream lists for it; nothing was stored`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}
