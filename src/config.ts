import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.js';
import { logLevels, type LogLevel } from './log/create-logger.js';

/** Settings, from `AIRLOCK_*` environment variables or a config file (`AIRLOCK_CONFIG`). */
export interface Config {
  /** @default 8080 */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /** SQLite database and artifact files live here. @default './storage' */
  storageDir: string;
  /** @default './policies/default.yaml' */
  policyFile: string;
  /** @default 'https://registry.npmjs.org/' */
  npmUpstream: URL;
  /** Index root; pages are under `simple/`. @default 'https://pypi.org/' */
  pypiUpstream: URL;
  /** Hosts PyPI files may be fetched from. @default files.pythonhosted.org for pypi.org, else the index's own host */
  pypiFileHosts: string[];
  /** The URL clients reach Airlock at; tarball and file URLs are built from it. @default `http://<host>:<port>/` */
  publicUrl: URL;
  /** How long an upstream index is trusted before Airlock asks again (conditionally). @default 60s */
  indexTtlMs: number;
  /** Upstream requests in flight at once. @default 16 */
  upstreamConcurrency: number;
  /** Upstream request timeout. @default 30s */
  upstreamTimeoutMs: number;
  /** Analyses running at once, each in its own worker thread. @default the number of cores */
  analysisConcurrency: number;
  /** How long an analysis waits before asking upstream again for artifacts it could not get. @default 60s */
  analysisRetryDelayMs: number;
  /** Tries at an analysis's artifacts before it becomes an `analysis-error` finding for a reviewer. @default 5 */
  analysisFetchAttempts: number;
  /**
   * How long a replica holds an analysis job it claimed without renewing it (it renews while the
   * analysis runs); a replica killed mid-analysis leaves the job to another after this. @default 60s
   */
  analysisLeaseMs: number;
  /** Least severe log level written. @default info */
  logLevel: LogLevel;
  /** `json` (one JSON line per event) or `pretty` (for a terminal). @default pretty when stdout is a terminal, else json */
  logFormat: 'json' | 'pretty';
  /**
   * How long an index or artifact request waits for the analyses of releases it would show once
   * they finish (first sight of a package). Past it the client gets a 503/504 naming the release.
   * @default 10s
   */
  firstSightWaitMs: number;
  /**
   * Levels of npm dependencies read ahead of a packument a client reads on first sight (their
   * releases recorded and analyses started before npm asks for them); 0 turns it off. @default 2
   */
  lookaheadDepth: number;
  /** First admin's API token, if set. */
  adminToken: string | null;
  /** Require a `reader` token on the package-serving endpoints. @default false */
  requireReaderToken: boolean;
  /** PostgreSQL for releases, decisions, tokens and the audit log; null: SQLite under `storageDir`. @default null */
  databaseUrl: string | null;
  /** Where artifact bytes go. @default files under `storageDir` */
  blobStore: BlobStoreSetting;
  /** An S3-compatible endpoint (MinIO, Ceph, R2); null for AWS S3. @default null */
  s3Endpoint: URL | null;
  /** @default AWS_REGION, else 'us-east-1' */
  s3Region: string;
  /** Path-style S3 URLs (`endpoint/bucket/key`), which MinIO and most self-hosted stores need. @default false */
  s3ForcePathStyle: boolean;
  /** Failed authentications one client address may make per window before it gets 429. @default 10 */
  authFailureLimit: number;
  /** Failed authentications from all addresses per window before every failing address gets 429. @default 100 */
  authFailureGlobalLimit: number;
  /** The window both limits count in. @default 60s */
  authFailureWindowMs: number;
  /**
   * Which reverse proxies' `X-Forwarded-For` names the client (express `trust proxy`: `loopback`,
   * addresses or CIDRs, comma-separated, or a hop count). Null: the socket's address is the client. @default null
   */
  trustProxy: string | number | null;
  /**
   * Bytes of artifacts kept in blob storage before the least recently served ones (that upstream
   * still has and no reviewer approved) are evicted. Null: unbounded. @default null
   */
  cacheMaxBytes: number | null;
  /**
   * Memory the npm packument index may take (parsed packuments of recently read packages); past it
   * the least recently refreshed are dropped, and read again from the store when next needed.
   * Their rendered documents and stored tarballs keep being served without that. @default 40 MiB
   */
  indexMemoryBytes: number;
}

/** `AIRLOCK_BLOB_STORE`: `file`, or `s3://bucket/prefix`. */
export type BlobStoreSetting = { kind: 'file' } | { kind: 's3'; bucket: string; prefix: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Airlock cannot start; fix these settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Setting name → environment variable and config-file key. */
const settings = {
  port: ['AIRLOCK_PORT', 'port'],
  host: ['AIRLOCK_HOST', 'host'],
  storageDir: ['AIRLOCK_STORAGE', 'storage'],
  policyFile: ['AIRLOCK_POLICY', 'policy'],
  npmUpstream: ['AIRLOCK_NPM_UPSTREAM', 'npmUpstream'],
  pypiUpstream: ['AIRLOCK_PYPI_UPSTREAM', 'pypiUpstream'],
  pypiFileHosts: ['AIRLOCK_PYPI_FILE_HOSTS', 'pypiFileHosts'],
  publicUrl: ['AIRLOCK_PUBLIC_URL', 'publicUrl'],
  indexTtlMs: ['AIRLOCK_INDEX_TTL', 'indexTtl'],
  upstreamConcurrency: ['AIRLOCK_UPSTREAM_CONCURRENCY', 'upstreamConcurrency'],
  upstreamTimeoutMs: ['AIRLOCK_UPSTREAM_TIMEOUT', 'upstreamTimeout'],
  analysisConcurrency: ['AIRLOCK_ANALYSIS_CONCURRENCY', 'analysisConcurrency'],
  analysisRetryDelayMs: ['AIRLOCK_ANALYSIS_RETRY_DELAY', 'analysisRetryDelay'],
  analysisFetchAttempts: ['AIRLOCK_ANALYSIS_FETCH_ATTEMPTS', 'analysisFetchAttempts'],
  analysisLeaseMs: ['AIRLOCK_ANALYSIS_LEASE', 'analysisLease'],
  logLevel: ['AIRLOCK_LOG_LEVEL', 'logLevel'],
  logFormat: ['AIRLOCK_LOG_FORMAT', 'logFormat'],
  firstSightWaitMs: ['AIRLOCK_FIRST_SIGHT_WAIT', 'firstSightWait'],
  lookaheadDepth: ['AIRLOCK_LOOKAHEAD_DEPTH', 'lookaheadDepth'],
  adminToken: ['AIRLOCK_ADMIN_TOKEN', 'adminToken'],
  requireReaderToken: ['AIRLOCK_REQUIRE_TOKEN', 'requireToken'],
  databaseUrl: ['AIRLOCK_DATABASE_URL', 'databaseUrl'],
  blobStore: ['AIRLOCK_BLOB_STORE', 'blobStore'],
  s3Endpoint: ['AIRLOCK_S3_ENDPOINT', 's3Endpoint'],
  s3Region: ['AIRLOCK_S3_REGION', 's3Region'],
  s3ForcePathStyle: ['AIRLOCK_S3_FORCE_PATH_STYLE', 's3ForcePathStyle'],
  authFailureLimit: ['AIRLOCK_AUTH_FAILURE_LIMIT', 'authFailureLimit'],
  authFailureGlobalLimit: ['AIRLOCK_AUTH_FAILURE_GLOBAL_LIMIT', 'authFailureGlobalLimit'],
  authFailureWindowMs: ['AIRLOCK_AUTH_FAILURE_WINDOW', 'authFailureWindow'],
  trustProxy: ['AIRLOCK_TRUST_PROXY', 'trustProxy'],
  cacheMaxBytes: ['AIRLOCK_CACHE_MAX', 'cacheMax'],
  indexMemoryBytes: ['AIRLOCK_INDEX_MEMORY', 'indexMemory'],
} as const satisfies Record<keyof Config, readonly [string, string]>;

export const settingsTable = settings;

/**
 * Builds the configuration from environment variables, over an optional YAML/JSON config file
 * named by `AIRLOCK_CONFIG`, over the embedded defaults. Throws one `ConfigError` listing every problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  let file: Record<string, unknown> = {};
  if (env.AIRLOCK_CONFIG) {
    try {
      const parsed: unknown = parseYaml(readFileSync(env.AIRLOCK_CONFIG, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) file = parsed as Record<string, unknown>;
      else problems.push(`AIRLOCK_CONFIG ${env.AIRLOCK_CONFIG}: the top level must be a mapping`);
    } catch (err) {
      problems.push(`AIRLOCK_CONFIG ${env.AIRLOCK_CONFIG}: ${(err as Error).message}`);
    }
    const knownKeys = new Set<string>(Object.values(settings).map(([, key]) => key));
    for (const key of Object.keys(file)) if (!knownKeys.has(key)) problems.push(`AIRLOCK_CONFIG: unknown key "${key}"`);
  }

  const raw = (key: keyof typeof settings): { value: string | undefined; from: string } => {
    const [envName, fileKey] = settings[key];
    if (env[envName] !== undefined && env[envName] !== '') return { value: env[envName], from: envName };
    const v = file[fileKey];
    if (v === undefined || v === null) return { value: undefined, from: `config ${fileKey}` };
    return { value: Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v), from: `config ${fileKey}` };
  };

  const int = (key: keyof typeof settings, fallback: number, min: number, max: number): number => {
    const { value, from } = raw(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${from} must be an integer from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return n;
  };
  const duration = (key: keyof typeof settings, fallback: number): number => {
    const { value, from } = raw(key);
    if (value === undefined) return fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      problems.push(`${from} must be a duration like 60s, 5m or 1h, got "${value}"`);
      return fallback;
    }
    return ms;
  };
  const url = (key: keyof typeof settings, fallback: string | null): URL | null => {
    const { value, from } = raw(key);
    const text = value ?? fallback;
    if (text === null) return null;
    try {
      const u = new URL(text);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      if (u.username || u.password) problems.push(`${from} must not carry credentials in the URL`);
      if (!u.pathname.endsWith('/')) u.pathname += '/';
      return u;
    } catch {
      problems.push(`${from} must be an http(s) URL, got "${text}"`);
      return null;
    }
  };
  const oneOf = <T extends string>(key: keyof typeof settings, allowed: readonly T[], fallback: T): T => {
    const { value, from } = raw(key);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${from} must be one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  };
  const bool = (key: keyof typeof settings): boolean => {
    const { value, from } = raw(key);
    if (value === undefined) return false;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    problems.push(`${from} must be true or false, got "${value}"`);
    return false;
  };

  const port = int('port', 8080, 0, 65535);
  const host = raw('host').value ?? '127.0.0.1';
  const npmUpstream = url('npmUpstream', 'https://registry.npmjs.org/');
  const pypiUpstream = url('pypiUpstream', 'https://pypi.org/');
  const publicUrl = url('publicUrl', `http://${host.includes(':') ? `[${host}]` : host}:${port}/`);
  const hostsRaw = raw('pypiFileHosts').value;
  let pypiFileHosts: string[];
  if (hostsRaw !== undefined) {
    pypiFileHosts = hostsRaw.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    for (const h of pypiFileHosts)
      if (!/^[a-z0-9.-]+(:\d+)?$/.test(h)) problems.push(`AIRLOCK_PYPI_FILE_HOSTS: "${h}" is not a host name (host or host:port)`);
  } else {
    pypiFileHosts = pypiUpstream?.host === 'pypi.org' ? ['files.pythonhosted.org'] : pypiUpstream ? [pypiUpstream.host] : [];
  }

  const databaseUrl = ((): string | null => {
    const { value, from } = raw('databaseUrl');
    if (value === undefined) return null;
    const problem = databaseUrlProblem(value);
    if (problem) problems.push(`${from} ${problem}`);
    return problem ? null : value;
  })();
  const blobStore = ((): BlobStoreSetting => {
    const { value, from } = raw('blobStore');
    if (value === undefined || value === 'file') return { kind: 'file' };
    const parsed = parseBlobStore(value);
    if (typeof parsed === 'string') {
      problems.push(`${from} ${parsed}`);
      return { kind: 'file' };
    }
    return parsed;
  })();
  const s3Endpoint = ((): URL | null => {
    const { value, from } = raw('s3Endpoint');
    if (value === undefined) return null;
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      if (u.username || u.password) problems.push(`${from} must not carry credentials; use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
      return u;
    } catch {
      problems.push(`${from} must be an http(s) URL, got "${value}"`);
      return null;
    }
  })();
  const s3Region = raw('s3Region').value ?? env.AWS_REGION ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,64}$/.test(s3Region)) problems.push(`AIRLOCK_S3_REGION must be a region name like eu-west-1, got "${s3Region}"`);

  const config: Config = {
    port,
    host,
    storageDir: path.resolve(raw('storageDir').value ?? './storage'),
    policyFile: path.resolve(raw('policyFile').value ?? './policies/default.yaml'),
    npmUpstream: npmUpstream ?? new URL('https://registry.npmjs.org/'), // null only beside a recorded problem, which throws below
    pypiUpstream: pypiUpstream ?? new URL('https://pypi.org/'), // null only beside a recorded problem, which throws below
    pypiFileHosts,
    publicUrl: publicUrl ?? new URL('http://127.0.0.1/'), // null only beside a recorded problem, which throws below
    indexTtlMs: duration('indexTtlMs', 60_000),
    upstreamConcurrency: int('upstreamConcurrency', 16, 1, 1024),
    upstreamTimeoutMs: duration('upstreamTimeoutMs', 30_000),
    analysisConcurrency: int('analysisConcurrency', Math.min(availableParallelism(), 64), 1, 64),
    firstSightWaitMs: duration('firstSightWaitMs', 10_000),
    lookaheadDepth: int('lookaheadDepth', 2, 0, 10),
    analysisRetryDelayMs: duration('analysisRetryDelayMs', 60_000),
    analysisFetchAttempts: int('analysisFetchAttempts', 5, 1, 1000),
    analysisLeaseMs: duration('analysisLeaseMs', 60_000),
    logLevel: oneOf('logLevel', logLevels, 'info'),
    logFormat: oneOf('logFormat', ['json', 'pretty'] as const, process.stdout.isTTY ? 'pretty' : 'json'),
    adminToken: raw('adminToken').value ?? null,
    requireReaderToken: bool('requireReaderToken'),
    databaseUrl,
    blobStore,
    s3Endpoint,
    s3Region,
    s3ForcePathStyle: bool('s3ForcePathStyle'),
    authFailureLimit: int('authFailureLimit', 10, 1, 1_000_000),
    authFailureGlobalLimit: int('authFailureGlobalLimit', 100, 1, 100_000_000),
    authFailureWindowMs: duration('authFailureWindowMs', 60_000),
    trustProxy: trustProxy(raw('trustProxy'), problems),
    cacheMaxBytes: byteSize(raw('cacheMaxBytes'), problems),
    indexMemoryBytes: byteSize(raw('indexMemoryBytes'), problems) ?? 40 * 1024 * 1024,
    ...overrides,
  };
  if (config.adminToken !== null && config.adminToken.length < 16)
    problems.push('AIRLOCK_ADMIN_TOKEN must be at least 16 characters');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** `AIRLOCK_TRUST_PROXY`: a hop count, or names/addresses/CIDRs express understands; unset or `false` is none. */
function trustProxy({ value, from }: { value: string | undefined; from: string }, problems: string[]): string | number | null {
  if (value === undefined || /^(false|no|off|0)$/i.test(value.trim())) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  const named = ['loopback', 'linklocal', 'uniquelocal'];
  for (const e of entries)
    if (!named.includes(e) && !/^[0-9a-f.:]+(\/\d{1,3})?$/i.test(e))
      problems.push(`${from}: "${e}" is not loopback, linklocal, uniquelocal, an IP address or a CIDR`);
  return entries.join(',');
}

/** Why `text` is not a usable PostgreSQL URL, or null when it is. */
function databaseUrlProblem(text: string): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'must be a postgres:// URL (postgres://user:password@host:5432/airlock), or unset for SQLite';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    return `must be a postgres:// URL, or unset for SQLite; got a ${u.protocol}// URL`;
  if (!u.hostname) return 'must name the database server (postgres://user:password@host:5432/airlock)';
  if (u.pathname.length <= 1) return 'must name the database (postgres://user:password@host:5432/airlock)';
  return null;
}

/**
 * Parses `s3://bucket/prefix` into the bucket and a key prefix ending in `/` (or empty), or says
 * what is wrong. Bucket names follow S3's rules; the prefix may not climb (`..`) or be absolute.
 */
export function parseBlobStore(text: string): BlobStoreSetting | string {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  if (!match) return `must be "file" or s3://bucket/prefix, got "${text}"`;
  const bucket = match[1] ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..'))
    return `names bucket "${bucket}", which is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)`;
  const segments = (match[2] ?? '').split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || /[\u0000-\u001f\\]/.test(s)))
    return `has prefix "${match[2]}"; a prefix is plain path segments, without . or .. or control characters`;
  return { kind: 's3', bucket, prefix: segments.length ? `${segments.join('/')}/` : '' };
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '(not a URL)';
  }
}

const sizeUnits: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `AIRLOCK_CACHE_MAX`: a size such as `10GB`, `500MB` or `2GiB` (a bare number is bytes); unset is unbounded. */
function byteSize({ value, from }: { value: string | undefined; from: string }, problems: string[]): number | null {
  if (value === undefined) return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value);
  const bytes = m ? Math.floor(Number(m[1]) * (sizeUnits[(m[2] ?? 'b').toLowerCase()] ?? NaN)) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    problems.push(`${from} must be a size like 500MB or 10GB, got "${value}"`);
    return null;
  }
  return bytes;
}
