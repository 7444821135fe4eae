import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedNpmUpstream, type ScriptedNpmUpstream } from '../helpers/scripted-npm-upstream.js';
import { tempDir } from '../helpers/temp-dir.js';
import { adminToken, api } from '../review/review-fixtures.js';

const repo = path.resolve(import.meta.dirname, '../..');
const day = 86_400_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the log of a running Airlock', () => {
  let npm: ScriptedNpmUpstream;
  let storage: { dir: string; remove: () => Promise<void> };
  let child: ChildProcess;
  let url: string;
  const lines: string[] = [];
  const events = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const waitFor = async (what: string, match: (e: Record<string, unknown>) => boolean) => {
    const end = Date.now() + 30_000;
    for (;;) {
      const found = events().find(match);
      if (found) return found;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${what} line; the log was:\n${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  beforeAll(async () => {
    npm = await startScriptedNpmUpstream();
    const now = Date.now();
    npm.publish('logged', { '1.0.0': new Date(now - 100 * day), '1.1.0': new Date(now - 2 * day), '2.0.0': new Date(now - 3_600_000) });
    storage = await tempDir('airlock-logs-');
    const policy = path.join(storage.dir, 'policy.yaml');
    await writeFile(policy, 'cooldown: 72h\nanalysisHorizon: 30d\n');
    const port = await freePort();
    const closedPort = await freePort();
    url = `http://127.0.0.1:${port}/`;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        AIRLOCK_PORT: String(port),
        AIRLOCK_STORAGE: storage.dir,
        AIRLOCK_POLICY: policy,
        AIRLOCK_NPM_UPSTREAM: npm.url,
        AIRLOCK_PYPI_UPSTREAM: `http://127.0.0.1:${closedPort}/`,
        AIRLOCK_ADMIN_TOKEN: adminToken,
        AIRLOCK_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const complete = partial.split('\n');
      partial = complete.pop() ?? '';
      lines.push(...complete.filter((l) => l.length > 0));
    });
    await waitFor('start', (e) => e.event === 'start');
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await npm?.close();
    await storage?.remove();
  });

  it('writes one JSON line per event: requests, refusals with the reason, analysis verdicts, decisions, upstream errors', async () => {
    expect((await fetch(`${url}npm/logged`)).status).toBe(200);
    const held = await fetch(`${url}npm/logged/-/logged-2.0.0.tgz`);
    expect(held.status).toBe(403);
    const analysis = await waitFor('analysis', (e) => e.event === 'analysis' && e.release === 'npm:logged@1.1.0');
    expect(analysis).toMatchObject({ level: 'info', verdict: 'clean', baseline: '1.0.0' });

    const refused = await waitFor('refused', (e) => e.event === 'refused');
    expect(refused).toMatchObject({ level: 'warn', release: 'npm:logged@2.0.0', code: 'EQUARANTINED', res: { statusCode: 403 } });
    expect(String(refused.msg)).toMatch(/GET \/npm\/logged\/-\/logged-2\.0\.0\.tgz 403: npm:logged@2\.0\.0 is quarantined until/);

    const approved = await api(url, 'api/v1/releases/npm:logged@2.0.0/approve', { method: 'POST', token: adminToken, body: { reason: 'urgent fix' } });
    expect(approved.status).toBe(200);
    expect(await waitFor('decision', (e) => e.event === 'decision')).toMatchObject({
      release: 'npm:logged@2.0.0',
      action: 'approve',
      actor: 'admin',
      reason: 'urgent fix',
    });

    expect((await fetch(`${url}pypi/simple/never-cached/`)).status).toBe(504);
    expect(await waitFor('upstream-error', (e) => e.event === 'upstream-error')).toMatchObject({
      level: 'warn',
      upstream: 'pypi',
      code: 'EUPSTREAMDOWN',
      cause: 'ECONNREFUSED',
    });

    expect(await waitFor('request', (e) => e.event === 'request' && (e.req as { url?: string })?.url === '/npm/logged')).toMatchObject({
      level: 'info',
      res: { statusCode: 200 },
    });
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.time).toBe('string');
      expect(typeof entry.msg).toBe('string');
      expect(line).not.toContain(adminToken);
    }
  });
});
