import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PythonArtifact } from './python-artifacts.js';

export interface UpstreamFileOptions {
  /** PEP 700 `upload-time`; null leaves it out. @default now (wall clock) */
  uploadedAt?: Date | null;
  requiresPython?: string;
  yanked?: boolean | string;
  /** PEP 740 provenance URL to pass along. */
  provenance?: string;
  /** Overrides the file URL in the page (e.g. a host that is not allowed, or a relative URL). */
  url?: string;
  /** Holds the file's download this long before answering (a slow upstream artifact). */
  delayMs?: number;
}

interface HostedFile {
  artifact: PythonArtifact;
  sha256: string;
  options: UpstreamFileOptions;
  /** Bytes actually served; differ from `artifact.bytes` after `corrupt`. */
  served: Buffer;
}

export interface PypiUpstream {
  /** The index root, `http://127.0.0.1:<port>/` (pages under `simple/`). */
  url: string;
  /** `host:port`, for AIRLOCK_PYPI_FILE_HOSTS. */
  host: string;
  /** Lists a file under its project (display name as given). */
  add(project: string, artifact: PythonArtifact, options?: UpstreamFileOptions): void;
  /** Marks a file yanked (PEP 592), with a reason or `true`. */
  yank(project: string, filename: string, reason?: string | true): void;
  /** Removes a file from the page and from the file host. */
  remove(project: string, filename: string): void;
  /** Serves different bytes for a file while the page keeps the original sha256. */
  corrupt(project: string, filename: string): void;
  /** Serves these bytes as the project's page (JSON and HTML alike) instead of the real one; null restores it. */
  replacePage(project: string, body: string | null): void;
  /** Holds every project page this long before answering (a slow upstream index); 0 answers at once. */
  delayPages(ms: number): void;
  /** Every request path served, in order (for asserting what Airlock fetched). */
  requests: string[];
  /** Stops listening (connections refused) and starts again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

const jsonType = 'application/vnd.pypi.simple.v1+json';

/**
 * A small PyPI-shaped index on loopback: PEP 503 HTML and PEP 691/700 JSON pages (per-file
 * `upload-time`, `size`, `core-metadata`), the files and their PEP 658 `.metadata` siblings, real
 * sha256 digests, and ETag/If-None-Match like PyPI's CDN.
 */
export async function startPypiUpstream(): Promise<PypiUpstream> {
  const projects = new Map<string, { display: string; files: Map<string, HostedFile> }>();
  const requests: string[] = [];
  const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
  let base = '';
  let pageDelayMs = 0;
  const replaced = new Map<string, Buffer>();

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    if (path === '/simple/') {
      const body = [...projects.keys()].map((n) => `<a href="${n}/">${n}</a>`).join('\n');
      return send(req, res, 'text/html', Buffer.from(`<!DOCTYPE html><html><body>${body}</body></html>`));
    }
    let m = /^\/simple\/([^/]+)\/$/.exec(path);
    if (m) {
      const name = normalize(m[1]!);
      const project = projects.get(name);
      if (pageDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, pageDelayMs));
      const replacement = replaced.get(name);
      if (replacement) return send(req, res, jsonType, replacement);
      if (!project) return notFound(res);
      const json = (req.headers.accept ?? '').includes(jsonType);
      return json ? send(req, res, jsonType, jsonPage(name, project.files)) : send(req, res, 'text/html', htmlPage(name, project.files));
    }
    m = /^\/files\/([^/]+)\/([^/]+)$/.exec(path);
    if (m) {
      const project = projects.get(m[1]!);
      const filename = m[2]!;
      const file = project?.files.get(filename);
      if (file?.options.delayMs) await new Promise((resolve) => setTimeout(resolve, file.options.delayMs));
      if (file) return send(req, res, 'application/octet-stream', file.served);
      const owner = filename.endsWith('.metadata') ? project?.files.get(filename.slice(0, -'.metadata'.length)) : undefined;
      if (owner?.artifact.metadata) return send(req, res, 'application/octet-stream', owner.artifact.metadata);
    }
    notFound(res);
  };

  const fileUrl = (name: string, filename: string, file: HostedFile) => file.options.url ?? `${base}files/${name}/${filename}`;

  const jsonPage = (name: string, files: Map<string, HostedFile>): Buffer => {
    const versions = new Set<string>();
    const entries = [...files].map(([filename, file]) => {
      versions.add(versionOf(filename));
      const metadata = file.artifact.metadata ? { sha256: sha256(file.artifact.metadata) } : false;
      return {
        filename,
        url: fileUrl(name, filename, file),
        hashes: { sha256: file.sha256 },
        'requires-python': file.options.requiresPython ?? null,
        'core-metadata': metadata,
        'dist-info-metadata': metadata,
        yanked: file.options.yanked ?? false,
        size: file.artifact.bytes.length,
        'upload-time': file.options.uploadedAt ? file.options.uploadedAt.toISOString().replace('Z', '000Z') : null,
        ...(file.options.provenance ? { provenance: file.options.provenance } : {}),
      };
    });
    return Buffer.from(JSON.stringify({ meta: { 'api-version': '1.1', _last_serial: 1 }, name, versions: [...versions], files: entries }));
  };

  const htmlPage = (name: string, files: Map<string, HostedFile>): Buffer => {
    const anchors = [...files].map(
      ([filename, file]) =>
        `<a href="${fileUrl(name, filename, file)}#sha256=${file.sha256}"${file.options.requiresPython ? ` data-requires-python="${file.options.requiresPython.replace(/</g, '&lt;').replace(/>/g, '&gt;')}"` : ''}>${filename}</a><br/>`,
    );
    return Buffer.from(`<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1"></head><body>\n${anchors.join('\n')}\n</body></html>`);
  };

  let server: Server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}/`;

  const fileOf = (project: string, filename: string): HostedFile => {
    const file = projects.get(normalize(project))?.files.get(filename);
    if (!file) throw new Error(`upstream has no ${project}/${filename}`);
    return file;
  };

  const stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url: base,
    host: `127.0.0.1:${port}`,
    requests,
    replacePage(project, body) {
      if (body === null) replaced.delete(normalize(project));
      else replaced.set(normalize(project), Buffer.from(body));
    },
    delayPages(ms) {
      pageDelayMs = ms;
    },
    add(project, artifact, options = {}) {
      const name = normalize(project);
      const entry = projects.get(name) ?? { display: project, files: new Map() };
      projects.set(name, entry);
      entry.files.set(artifact.filename, {
        artifact,
        sha256: sha256(artifact.bytes),
        options: { uploadedAt: new Date(), ...options },
        served: artifact.bytes,
      });
    },
    yank(project, filename, reason = true) {
      fileOf(project, filename).options.yanked = reason;
    },
    remove(project, filename) {
      fileOf(project, filename);
      projects.get(normalize(project))!.files.delete(filename);
    },
    corrupt(project, filename) {
      const file = fileOf(project, filename);
      file.served = Buffer.concat([file.artifact.bytes, Buffer.from('tampered')]);
    },
    stop,
    async start() {
      server = createServer((req, res) => void handler(req, res));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      if (server.listening) await stop();
    },
  };
}

function send(req: IncomingMessage, res: ServerResponse, type: string, body: Buffer): void {
  const etag = `"${sha256(body).slice(0, 16)}"`;
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function notFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.end('Not Found');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The version part of a wheel or sdist name, as the test builders write them. */
function versionOf(filename: string): string {
  if (filename.endsWith('.whl')) return filename.split('-')[1]!;
  return filename.replace(/\.(tar\.gz|zip)$/, '').split('-').slice(1).join('-');
}
