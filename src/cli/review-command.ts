import { parseArgs } from 'node:util';
import type { CommandIo } from './command-io.js';
import { apiClientFromEnv, CliError, releasePath } from './api-client.js';


const usage = `usage: airlock review <command> [options]

  list [--state STATE[,STATE]] [--ecosystem npm|pypi] [--search TEXT] [--json]
      releases, most risky first (default: awaiting-review)
      states: quarantined, awaiting-review, released, approved, rejected, withdrawn, all
  show <release> [--json]              one release: status, policy, findings, history
  approve <release>... --reason TEXT   approve (before the cooldown ends: early approval)
  reject <release>... --reason TEXT    reject a quarantined or awaiting-review release
  revoke <release>... --reason TEXT    take back a released or approved release
      several releases get the same reason; each is decided and audited on its own

  <release> is <ecosystem>:<name>@<version>, e.g. npm:@acme/widget@1.0.1
  Reads AIRLOCK_URL (default http://127.0.0.1:8080/) and AIRLOCK_TOKEN (a reviewer token).
  Exit status: 0 done, 1 refused or failed, 2 usage error.
`;

interface Summary {
  id: string;
  state: string;
  reason: string;
  until: string | null;
  remainingMs: number | null;
  findingCounts: Record<string, number>;
  findingKinds?: string[];
  decision: { action: string; actor: string; reason: string } | null;
}

interface Detail extends Summary {
  publishedAt: string | null;
  firstSeenAt: string;
  baselineVersion: string | null;
  analysis: string;
  policy: { cooldownMs: number; reviewThreshold: string; mediumHoldMs: number; sources: Record<string, string>; blockedBy: string | null; internalBy: string | null };
  findings: { kind: string; severity: string; path: string | null; line: number | null; message: string; evidence?: string }[];
  history: { at: string; actor: string; action: string; reason: string | null }[];
  sharesFindingsWith?: string[];
}

/** `airlock review …`: works the review queue through the HTTP API. Returns the exit status. */
export async function runReviewCommand(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        state: { type: 'string' },
        ecosystem: { type: 'string' },
        search: { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, release, ...extra] = positionals;
  const decision = command === 'approve' || command === 'reject' || command === 'revoke';
  if (values.help || !command) {
    (values.help ? io.stdout : io.stderr)(usage);
    return values.help ? 0 : 2;
  }
  try {
    if (extra.length > 0 && !decision) throw new CliError(`unexpected arguments: ${extra.join(' ')}`, 2);
    switch (command) {
      case 'list':
        if (release) throw new CliError('list takes no release; use show', 2);
        return await list(io, env, values);
      case 'show':
        return await show(io, env, needRelease(release), values.json);
      case 'approve':
      case 'reject':
      case 'revoke':
        if (extra.length > 0) return await decideMany(io, env, command, [needRelease(release), ...extra.map(needRelease)], values.reason, values.json);
        return await decide(io, env, command, needRelease(release), values.reason, values.json);
      default:
        throw new CliError(`unknown command "${command}"\n\n${usage}`, 2);
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`airlock review: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

function needRelease(release: string | undefined): string {
  if (!release) throw new CliError('name a release, e.g. npm:demo-lib@2.0.0', 2);
  if (!/^(npm|pypi):.+@[^@\s/]+$/.test(release)) throw new CliError(`"${release}" is not a release id; expected <ecosystem>:<name>@<version>`, 2);
  return release;
}

async function list(io: CommandIo, env: NodeJS.ProcessEnv, values: { state?: string; ecosystem?: string; search?: string; json: boolean }): Promise<number> {
  const api = apiClientFromEnv(env);
  const params = new URLSearchParams();
  const state = values.state ?? 'awaiting-review';
  if (state !== 'all') params.set('state', state);
  else params.set('order', 'version'); // every release: by package, newest version first
  if (values.ecosystem) params.set('ecosystem', values.ecosystem);
  if (values.search) params.set('q', values.search);
  params.set('limit', '1000');
  const { json, text } = await api.request('GET', `api/v1/releases?${params.toString()}`);
  if (values.json) {
    io.stdout(`${text}\n`);
    return 0;
  }
  const { releases, total } = json as { releases: Summary[]; total: number };
  if (releases.length === 0) {
    io.stdout(`no releases${state === 'all' ? '' : ` in state ${state}`}\n`);
    return 0;
  }
  const rows = releases.map((r) => [r.state, r.id, findingText(r.findingCounts, r.findingKinds), r.decision ? `${r.decision.action} by ${r.decision.actor}` : timeText(r)]);
  io.stdout(table([['STATE', 'RELEASE', 'FINDINGS', 'WHEN'], ...rows]));
  if (total > releases.length) io.stdout(`(${releases.length} of ${total} shown)\n`);
  return 0;
}

async function show(io: CommandIo, env: NodeJS.ProcessEnv, release: string, asJson: boolean): Promise<number> {
  const api = apiClientFromEnv(env);
  const { json, text } = await api.request('GET', releasePath(release));
  if (asJson) {
    io.stdout(`${text}\n`);
    return 0;
  }
  const r = json as Detail;
  const p = r.policy;
  const lines = [
    `${r.id}  ${r.state}`,
    `  ${r.reason}`,
    `  published:   ${r.publishedAt ?? 'unknown (cooldown counts from first sight)'}`,
    `  first seen:  ${r.firstSeenAt}`,
    `  hold until:  ${r.until ?? '-'}${r.remainingMs ? ` (${formatRemaining(r.remainingMs)} left)` : ''}`,
    `  baseline:    ${r.baselineVersion ?? '(none)'}`,
    `  analysis:    ${r.analysis}`,
    `  policy:      cooldown ${formatRemaining(p.cooldownMs)} (${p.sources.cooldownMs}), review at ${p.reviewThreshold} and above (${p.sources.reviewThreshold})` +
      (p.mediumHoldMs ? `, medium hold ${formatRemaining(p.mediumHoldMs)} (${p.sources.mediumHoldMs})` : '') +
      (p.blockedBy ? `, blocked by ${p.blockedBy}` : '') +
      (p.internalBy ? `, internal name ${p.internalBy}` : ''),
  ];
  if (r.decision) lines.push(`  decision:    ${r.decision.action} by ${r.decision.actor}: ${r.decision.reason}`);
  lines.push('', r.findings.length === 0 ? 'findings: none' : `findings (${r.findings.length}):`);
  for (const f of r.findings) {
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.kind}  ${f.path ?? ''}${f.line ? `:${f.line}` : ''}`, `           ${f.message}`);
    if (f.evidence) lines.push(...f.evidence.split('\n').slice(0, 6).map((l) => `           | ${l}`));
  }
  if (r.sharesFindingsWith?.length)
    lines.push('', `same findings as: ${r.sharesFindingsWith.join(' ')}`, `  decide them together: airlock review approve|reject ${[r.id, ...r.sharesFindingsWith].join(' ')} --reason "…"`);
  lines.push('', 'history:');
  for (const h of r.history) lines.push(`  ${h.at}  ${h.action.padEnd(16)} ${h.actor}${h.reason ? `: ${h.reason}` : ''}`);
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

async function decide(io: CommandIo, env: NodeJS.ProcessEnv, action: string, release: string, reason: string | undefined, asJson: boolean): Promise<number> {
  if (!reason || !reason.trim()) throw new CliError(`${action} needs --reason "…" (it goes into the audit log and to clients)`, 2);
  const api = apiClientFromEnv(env);
  const { json, text } = await api.request('POST', `${releasePath(release)}/${action}`, { reason });
  if (asJson) {
    io.stdout(`${text}\n`);
    return 0;
  }
  const r = json as { early: boolean; previousState: string; release: Summary };
  io.stdout(`${r.release.id}: ${r.previousState} → ${r.release.state}${r.early ? ' (early approval, before the cooldown ended)' : ''}\n`);
  return 0;
}

/** Several releases, one reason: each decided (and audited) on its own by the server; exit 1 if any was refused. */
async function decideMany(io: CommandIo, env: NodeJS.ProcessEnv, action: string, releases: string[], reason: string | undefined, asJson: boolean): Promise<number> {
  if (!reason || !reason.trim()) throw new CliError(`${action} needs --reason "…" (it goes into the audit log and to clients)`, 2);
  const api = apiClientFromEnv(env);
  const { json, text } = await api.request('POST', 'api/v1/decisions', { action, reason, releases });
  const r = json as { decided: number; results: Array<{ release: string; ok: boolean; previousState?: string; state?: string; early?: boolean; error?: string }> };
  if (asJson) io.stdout(`${text}\n`);
  else {
    for (const x of r.results) {
      if (x.ok) io.stdout(`${x.release}: ${x.previousState} → ${x.state}${x.early ? ' (early approval, before the cooldown ended)' : ''}\n`);
      else io.stderr(`airlock review: ${x.release}: ${x.error}\n`);
    }
    io.stdout(`${r.decided} of ${r.results.length} releases: ${action}\n`);
  }
  return r.decided === r.results.length ? 0 : 1;
}

function findingText(counts: Record<string, number>, kinds: string[] = []): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
  if (parts.length === 0) return '-';
  const named = kinds.slice(0, 3).join(', ') + (kinds.length > 3 ? ', …' : '');
  return `${parts.join(', ')}${named ? `: ${named}` : ''}`;
}

function timeText(r: Summary): string {
  if (r.state === 'quarantined' && r.until) return `until ${r.until.slice(0, 16)}Z (${formatRemaining(r.remainingMs ?? 0)} left)`;
  return '-';
}

/** `2d 3h`, `5h 10m`, `42m`: countdowns people read at a glance. */
export function formatRemaining(ms: number): string {
  const m = Math.ceil(ms / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  if (d > 0) return h ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return min ? `${h}h ${min}m` : `${h}h`;
  return `${min}m`;
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}
