import { createHash } from 'node:crypto';
import type { AppContext } from '../../app-context.js';
import { AirlockError, isAirlockError } from '../../errors.js';
import type { Artifact } from '../../store/release-store.js';
import { SingleFlight } from '../../upstream/single-flight.js';
import { redact, type UpstreamClient } from '../../upstream/upstream-client.js';

/**
 * Brings upstream files into the BlobStore, verified against the sha256 upstream listed, once per
 * concurrent burst: the file route and the analysis runner share one fetch. Bytes that do not
 * match are never stored or served.
 */
export class FileFetcher {
  private readonly flights = new SingleFlight<string>();
  private readonly metadataFlights = new SingleFlight<Buffer>();
  /** Artifact id → blob key, for files this process already has (a cache of the store's column). */
  private readonly known = new Map<number, string>();

  constructor(
    private readonly ctx: AppContext,
    private readonly client: UpstreamClient,
  ) {}

  /** The blob key of the artifact's verified bytes, fetching them first when they are not stored. */
  async ensure(artifact: Artifact): Promise<string> {
    const cached = this.known.get(artifact.id);
    if (cached) return cached;
    const key = await this.flights.run(String(artifact.id), () => this.fetch(artifact));
    this.known.set(artifact.id, key);
    return key;
  }

  /** Forgets an artifact's blob key (its blob was evicted: the next request fetches it again). */
  forget(artifactId: number): void {
    this.known.delete(artifactId);
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

  private async fetch(artifact: Artifact): Promise<string> {
    // Another replica (or an earlier run) may have stored it: the store's column is the truth.
    const current = (await this.ctx.store.listArtifacts(artifact.releaseId)).find((a) => a.id === artifact.id) ?? artifact;
    if (current.blobKey && (await this.ctx.blobs.stat(current.blobKey))) return current.blobKey;
    const sha256 = current.digests.sha256;
    if (!sha256) throw new AirlockError('EINTEGRITY', `${current.filename} has no sha256 to verify it by`);
    const url = new URL(current.url);
    if (!this.client.isAllowed(url)) {
      throw new AirlockError('EUPSTREAM', `refusing to fetch ${redact(url)}: not an allowed PyPI file host`);
    }
    const { body } = await this.client.getStream(url);
    try {
      const info = await this.ctx.blobs.put(body, { sha256 });
      await this.ctx.store.setArtifactBlob(current.id, info.key, info.size);
      return info.key;
    } catch (err) {
      if (isAirlockError(err) && err.code === 'EINTEGRITY') {
        this.ctx.log(`pypi: ${current.filename} from ${redact(url)} failed verification; nothing stored: ${err.message}`);
        throw new AirlockError('EINTEGRITY', `${current.filename} from upstream does not match the sha256 upstream lists for it; nothing was stored`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}
