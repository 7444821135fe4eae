import type { StoredFinding } from '../../src/domain/finding.js';
import type { Ecosystem } from '../../src/domain/ecosystem.js';
import type { StartedAirlock } from '../helpers/start-airlock.js';

export const adminToken = 'admin-token-for-tests-0123456789';

/**
 * Policy for review tests: a 72h cooldown, and an analysis horizon of 1h so releases published
 * more than an hour before first sight are not queued for analysis: the tests record the
 * findings themselves through the real store.
 */
export const reviewPolicy = 'cooldown: 72h\nanalysisHorizon: 1h\nreviewThreshold: high\n';

export const postinstallFinding: StoredFinding = {
  kind: 'install-script-added',
  severity: 'critical',
  path: 'package.json',
  line: 6,
  message: 'adds a postinstall script: node steal.js',
  evidence: '"postinstall": "node steal.js"',
};

/** Records a release as an ecosystem would (observe), then its analysis result (real SQLite writes). */
export async function seedRelease(
  started: StartedAirlock,
  options: { ecosystem?: Ecosystem; name: string; version: string; publishedHoursAgo: number; findings?: StoredFinding[]; baselineVersion?: string | null },
) {
  const ctx = started.airlock.context;
  const ecosystem = options.ecosystem ?? 'npm';
  const publishedAt = new Date(started.clock.now().getTime() - options.publishedHoursAgo * 3_600_000);
  await ctx.quarantine.observe(ecosystem, options.name, [{ version: options.version, publishedAt }]);
  const release = (await ctx.store.getRelease(ecosystem, options.name, options.version))!;
  if (options.findings) {
    await ctx.store.saveAnalysis(release.id, {
      findings: options.findings,
      baselineVersion: options.baselineVersion ?? null,
      analyzedAt: started.clock.now(),
    });
    // As the analysis runner does after recording a result.
    ctx.quarantine.changed(ecosystem, options.name);
  }
  return (await ctx.store.getRelease(ecosystem, options.name, options.version))!;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** Calls the API like a client would; `token` becomes `Authorization: Bearer`. */
export async function api(
  base: string,
  path: string,
  options: { method?: string; token?: string; body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, base), {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A token created through the API by the admin. */
export async function createToken(base: string, name: string, role: string): Promise<string> {
  const res = await api(base, 'api/v1/tokens', { method: 'POST', token: adminToken, body: { name, role } });
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${res.text}`);
  return (res.body as { token: string }).token;
}
