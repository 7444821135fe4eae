import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from './duration.js';

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
  /**
   * How long an index or artifact request waits for the analyses of releases it would show once
   * they finish (first sight of a package). Past it the client gets a 503/504 naming the release.
   * @default 10s
   */
  firstSightWaitMs: number;
  /** First admin's API token, if set. */
  adminToken: string | null;
  /** Require a `reader` token on the package-serving endpoints. @default false */
  requireReaderToken: boolean;
}

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
  firstSightWaitMs: ['AIRLOCK_FIRST_SIGHT_WAIT', 'firstSightWait'],
  adminToken: ['AIRLOCK_ADMIN_TOKEN', 'adminToken'],
  requireReaderToken: ['AIRLOCK_REQUIRE_TOKEN', 'requireToken'],
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
    return { value: Array.isArray(v) ? v.join(',') : String(v), from: `config ${fileKey}` };
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

  const config: Config = {
    port,
    host,
    storageDir: path.resolve(raw('storageDir').value ?? './storage'),
    policyFile: path.resolve(raw('policyFile').value ?? './policies/default.yaml'),
    npmUpstream: npmUpstream!,
    pypiUpstream: pypiUpstream!,
    pypiFileHosts,
    publicUrl: publicUrl!,
    indexTtlMs: duration('indexTtlMs', 60_000),
    upstreamConcurrency: int('upstreamConcurrency', 16, 1, 1024),
    upstreamTimeoutMs: duration('upstreamTimeoutMs', 30_000),
    analysisConcurrency: int('analysisConcurrency', Math.min(availableParallelism(), 64), 1, 64),
    firstSightWaitMs: duration('firstSightWaitMs', 10_000),
    adminToken: raw('adminToken').value ?? null,
    requireReaderToken: bool('requireReaderToken'),
    ...overrides,
  };
  if (config.adminToken !== null && config.adminToken.length < 16)
    problems.push('AIRLOCK_ADMIN_TOKEN must be at least 16 characters');
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
