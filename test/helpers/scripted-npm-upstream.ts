import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tgzBuffer } from './build-archives.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- a packument being built

/**
 * A hand-driven npm upstream: the test edits each package's packument between reads, as a lying
 * or misbehaving upstream would. Tarballs are real gzipped tars whose integrity the packument lists.
 */
export interface ScriptedNpmUpstream {
  url: string;
  /** Sets version → publish time (or null to leave `time` out) and serves a real tarball for each. */
  publish(name: string, versions: Record<string, Date | null>): void;
  unpublish(name: string, version: string): void;
  /** Bumped by every publish and unpublish; served as the packument's `description`. */
  revision(name: string): number;
  tarball(name: string, version: string): Buffer;
  /** Answers this package's tarball requests with 403 (an upstream that will not give the bytes). */
  refuseTarballs(name: string): void;
  /** Every request path, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startScriptedNpmUpstream(): Promise<ScriptedNpmUpstream> {
  const packages = new Map<string, Map<string, Date | null>>();
  const tarballs = new Map<string, Buffer>();
  const revisions = new Map<string, number>();
  const bump = (name: string) => revisions.set(name, (revisions.get(name) ?? 0) + 1);
  let base = '';
  const tarballFor = (name: string, version: string) => {
    const key = `${name}@${version}`;
    let bytes = tarballs.get(key);
    if (!bytes) {
      bytes = tgzBuffer([{ path: 'package/package.json', data: JSON.stringify({ name, version }) }]);
      tarballs.set(key, bytes);
    }
    return bytes;
  };
  const refused = new Set<string>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const tgz = /^\/([^/]+)\/-\/[^/]+-(\d+\.\d+\.\d+)\.tgz$/.exec(path);
    if (tgz && refused.has(tgz[1]!)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"error":"forbidden"}');
      return;
    }
    if (tgz && packages.get(tgz[1]!)?.has(tgz[2]!)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(tarballFor(tgz[1]!, tgz[2]!));
      return;
    }
    const name = path.slice(1);
    const versions = packages.get(name);
    if (!versions) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    const doc: Json = { name, description: `rev ${revisions.get(name) ?? 0}`, 'dist-tags': {}, versions: {}, time: {} };
    let latest = '';
    for (const [version, publishedAt] of versions) {
      const bytes = tarballFor(name, version);
      doc.versions[version] = {
        name,
        version,
        dist: {
          tarball: `${base}${name}/-/${name}-${version}.tgz`,
          integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
          shasum: createHash('sha1').update(bytes).digest('hex'),
        },
      };
      if (publishedAt) doc.time[version] = publishedAt.toISOString();
      latest = version;
    }
    doc['dist-tags'].latest = latest;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    publish(name, versions) {
      const known = packages.get(name) ?? new Map<string, Date | null>();
      for (const [v, t] of Object.entries(versions)) known.set(v, t);
      packages.set(name, known);
      bump(name);
    },
    unpublish(name, version) {
      packages.get(name)?.delete(version);
      bump(name);
    },
    revision: (name) => revisions.get(name) ?? 0,
    tarball: tarballFor,
    refuseTarballs: (name) => void refused.add(name),
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

