import { AirlockError, isAirlockError } from '../errors.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Artifact, ReleaseStore } from '../store/release-store.js';
import { SingleFlight } from './single-flight.js';
import { redact, type UpstreamClient } from './upstream-client.js';

/** Verified artifact bytes in the BlobStore. */
export interface StoredArtifact {
  key: string;
  size: number;
}

/** What one ecosystem tells the shared fetcher: which digests bind an artifact, and where to fetch it. */
export interface ArtifactSource<C> {
  /** `npm` or `pypi`, for log lines. */
  label: string;
  /** What the digests are called in messages (`integrity`, `sha256`). */
  digestNoun: string;
  /**
   * The digests the bytes must match (every one given is checked while streaming), or null when
   * the artifact has none Airlock can verify it by: then it is never fetched or served.
   */
  digests(artifact: Artifact): Record<string, string> | null;
  /** Where to fetch it from; throws when its recorded URL may not be fetched and there is no other. */
  url(artifact: Artifact, context: C): URL;
}

export interface ArtifactFetcherDeps {
  store: Pick<ReleaseStore, 'listArtifacts' | 'setArtifactBlob'>;
  blobs: Pick<BlobStore, 'put' | 'stat'>;
  client: Pick<UpstreamClient, 'getStream'>;
  log: (message: string) => void;
}

/**
 * Brings upstream artifacts into the BlobStore, verified against the digests upstream listed,
 * once per concurrent burst: the artifact route and the analysis runner share one fetch. Bytes
 * that do not match are never stored or served. `C` is what the ecosystem needs besides the
 * artifact to find its URL (npm: the release, for the canonical tarball path).
 */
export class ArtifactFetcher<C> {
  private readonly flights = new SingleFlight<StoredArtifact>();
  /** Artifact id → stored bytes, for artifacts this process has seen stored (a cache of the store's column). */
  private readonly known = new Map<number, StoredArtifact>();

  constructor(
    private readonly source: ArtifactSource<C>,
    private readonly deps: ArtifactFetcherDeps,
  ) {}

  /** The verified bytes of an artifact, fetched from upstream first when they are not stored. */
  async ensure(artifact: Artifact, context: C): Promise<StoredArtifact> {
    const cached = this.known.get(artifact.id);
    if (cached) return cached;
    const stored = await this.flights.run(String(artifact.id), () => this.fetch(artifact, context));
    this.known.set(artifact.id, stored);
    return stored;
  }

  /** Forgets an artifact whose blob is gone (evicted, or storage wiped under a running process): the next request fetches it again. */
  forget(artifactId: number): void {
    this.known.delete(artifactId);
  }

  private async fetch(artifact: Artifact, context: C): Promise<StoredArtifact> {
    const { deps, source } = this;
    // Another replica (or an earlier run) may have stored it: the store's column is the truth.
    const current = (await deps.store.listArtifacts(artifact.releaseId)).find((a) => a.id === artifact.id) ?? artifact;
    if (current.blobKey) {
      const stat = await deps.blobs.stat(current.blobKey);
      if (stat) {
        // Once per process per artifact: gives blobs stored before sizes were recorded their size (AIRLOCK_CACHE_MAX counts it).
        await deps.store.setArtifactBlob(current.id, current.blobKey, stat.size);
        return { key: current.blobKey, size: stat.size };
      }
    }
    const digests = source.digests(current);
    if (!digests || Object.keys(digests).length === 0)
      throw new AirlockError('EINTEGRITY', `${current.filename} has no ${source.digestNoun} upstream to verify it by; Airlock does not serve it`);
    const url = source.url(current, context);
    const first = { answered: false };
    try {
      return await this.download(url, current, digests, first);
    } catch (err) {
      // Bytes that fail their digest, or a body broken off after upstream answered, can be an
      // upstream hiccup (a CDN answering 200 with an empty or cut body under load): fetch once
      // more before failing, so a passing glitch is not held for review as a bad artifact. An
      // upstream that does not answer at all is left to the callers' own retries.
      if (!first.answered || !isAirlockError(err) || (err.code !== 'EINTEGRITY' && err.code !== 'EUPSTREAMDOWN')) throw err;
      deps.log(`${source.label}: fetching ${current.filename} again after: ${err.message}`);
      return await this.download(url, current, digests, { answered: false });
    }
  }

  private async download(url: URL, current: Artifact, digests: Record<string, string>, attempt: { answered: boolean }): Promise<StoredArtifact> {
    const { deps, source } = this;
    const { body, size } = await deps.client.getStream(url);
    attempt.answered = true;
    let received = 0;
    const counted = (async function* () {
      for await (const chunk of body) {
        received += chunk.byteLength;
        yield chunk;
      }
    })();
    try {
      const info = await deps.blobs.put(counted, digests);
      await deps.store.setArtifactBlob(current.id, info.key, info.size);
      return { key: info.key, size: info.size };
    } catch (err) {
      if (isAirlockError(err) && err.code === 'EINTEGRITY') {
        const got = size === null ? `${received} bytes` : `${received} of ${size} bytes`;
        deps.log(`${source.label}: ${current.filename} from ${redact(url)} failed verification (${got}); nothing stored: ${err.message}`);
        throw new AirlockError(
          'EINTEGRITY',
          `${current.filename} from upstream does not match the ${source.digestNoun} upstream lists for it; nothing was stored`,
          { cause: err },
        );
      }
      throw err;
    }
  }
}
