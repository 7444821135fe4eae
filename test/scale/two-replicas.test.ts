import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { run } from '../helpers/run.js';
import { startS3rver, type S3Server } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const adminToken = 'two-replicas-test-admin-token-0123';
// Verdaccio stamps releases with the real time: 1.0.0 is released by policy, 2.0.0 waits 72h.
const policy = (hook: string) =>
  ['cooldown: 72h', 'analysisHorizon: 0', 'packages:', '  "npm:demo-lib@1.0.0": { cooldown: 0 }', 'webhooks:', `  - url: ${hook}`, '    events: [approve, reject, revoke]', ''].join('\n');

describe('two Airlock processes on one PostgreSQL database and one S3 bucket', () => {
  let cluster: Postgres;
  let s3: S3Server;
  let verdaccio: Verdaccio;
  let databaseUrl: string;
  let a: AirlockProcess;
  let b: AirlockProcess;
  const removers: (() => Promise<void>)[] = [];
  let sharedEnv: Record<string, string>;
  let hooks: Server;
  const deliveries: { event: string; release: string; delivery: string; status: number }[] = [];
  let hooksDown = false;
  const delivered = (release: string) => deliveries.filter((d) => d.release === release && d.status === 200).map(({ event }) => ({ event, release }));

  beforeAll(async () => {
    [cluster, s3, verdaccio] = await Promise.all([startPostgres(), startS3rver(), startVerdaccio()]);
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0', files: { 'index.js': 'module.exports = 2;\n' } });
    await verdaccio.publish({ name: 'demo-lib', version: '3.0.0', files: { 'index.js': 'module.exports = 3;\n' } });
    databaseUrl = await cluster.createDatabase();
    const config = await tempDir('airlock-replicas-');
    removers.push(config.remove);
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const payload = JSON.parse(body) as { event: string; release: string };
        const status = hooksDown ? 503 : 200;
        deliveries.push({ event: payload.event, release: payload.release, delivery: String(req.headers['x-airlock-delivery']), status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    await writeFile(path.join(config.dir, 'policy.yaml'), policy(`http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`));
    sharedEnv = {
      AIRLOCK_DATABASE_URL: databaseUrl,
      AIRLOCK_BLOB_STORE: `s3://${s3.bucket}/replicas`,
      AIRLOCK_S3_ENDPOINT: s3.endpoint,
      AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AIRLOCK_POLICY: path.join(config.dir, 'policy.yaml'),
      AIRLOCK_NPM_UPSTREAM: verdaccio.url,
      AIRLOCK_ADMIN_TOKEN: adminToken,
    };
    // Each replica has its own local storage directory: nothing there is shared.
    const [storageA, storageB] = await Promise.all([tempDir('airlock-replica-a-'), tempDir('airlock-replica-b-')]);
    removers.push(storageA.remove, storageB.remove);
    // Started together: both migrate the empty database at the same moment.
    [a, b] = await Promise.all([
      startAirlockProcess({ ...sharedEnv, AIRLOCK_STORAGE: storageA.dir }),
      startAirlockProcess({ ...sharedEnv, AIRLOCK_STORAGE: storageB.dir }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([cluster?.stop(), s3?.stop(), verdaccio?.stop()]);
    hooks?.close();
    for (const remove of removers) await remove();
  });

  const api = (replica: AirlockProcess, method: string, route: string, token = adminToken, body?: unknown) =>
    fetch(new URL(`api/v1/${route}`, replica.url), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('migrates the shared schema once although both replicas started together', async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query('SELECT track, version FROM schema_migrations ORDER BY track, version');
    await client.end();
    expect(rows.map((r: { track: string }) => r.track)).toEqual(expect.arrayContaining(['releases', 'tokens']));
    expect(new Set(rows.map((r: { track: string; version: number }) => `${r.track}/${r.version}`)).size).toBe(rows.length);
  });

  it('stores a tarball installed through one replica once in the bucket, and the other replica installs it from there', async () => {
    const clients: NpmClient[] = [await npmClient(new URL('npm/', a.url).href), await npmClient(new URL('npm/', b.url).href)];
    try {
      const first = await clients[0]!.npm(['install', 'demo-lib']);
      expect(first.code, first.output).toBe(0);
      const s3Client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3.credentials });
      const listed = await s3Client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'replicas/' }));
      s3Client.destroy();
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([expect.stringMatching(/^replicas\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/)]);

      const second = await clients[1]!.npm(['install', 'demo-lib']);
      expect(second.code, second.output).toBe(0);
      const installed = JSON.parse(await readFile(path.join(clients[1]!.dir, 'node_modules/demo-lib/package.json'), 'utf8')) as Json;
      expect(installed.version).toBe('1.0.0');
      // 2.0.0 is in its cooldown on both replicas: same database, same answer.
      const held = await clients[1]!.npm(['install', 'demo-lib@2.0.0']);
      expect(held.code).not.toBe(0);
      expect(held.output).toMatch(/quarantined until/);
    } finally {
      for (const c of clients) await c.remove();
    }
  });

  it('knows a token made with the CLI on the shared database on both replicas, and a revoke through one holds on the other', async () => {
    const created = await run(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), 'token', 'create', '--name', 'alice', '--role', 'reviewer'], {
      env: { ...sharedEnv, AIRLOCK_TOKEN: undefined },
    });
    expect(created.code, created.output).toBe(0);
    const token = created.stdout.trim();
    expect((await api(a, 'GET', 'releases', token)).status).toBe(200);
    expect((await api(b, 'GET', 'releases', token)).status).toBe(200);

    const listed = (await (await api(a, 'GET', 'tokens')).json()) as { tokens: { id: number; name: string }[] };
    const alice = listed.tokens.find((t) => t.name === 'alice')!;
    expect((await api(a, 'DELETE', `tokens/${alice.id}`)).status).toBeLessThan(300);
    expect((await api(b, 'GET', 'releases', token)).status).toBe(401);
  });

  it('shows a decision made through one replica on the other, with one audit entry', async () => {
    const approved = await api(a, 'POST', 'releases/npm:demo-lib@2.0.0/approve', adminToken, { reason: 'reviewed the diff' });
    expect(approved.status, await approved.clone().text()).toBe(200);
    const seen = (await (await api(b, 'GET', 'releases/npm:demo-lib@2.0.0')).json()) as Json;
    expect(JSON.stringify(seen)).toContain('approved');
    const audit = (await (await api(b, 'GET', 'audit?subject=npm:demo-lib@2.0.0&action=approve')).json()) as { entries: Json[] };
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor: 'admin', reason: 'reviewed the diff' });
    // One webhook for the one decision, from the replica that made it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(delivered('npm:demo-lib@2.0.0')).toEqual([{ event: 'approve', release: 'npm:demo-lib@2.0.0' }]);
  });

  it('refuses, through the other replica within a second, a release revoked through one: npm ci fails with the reason', async () => {
    const first = await npmClient(new URL('npm/', b.url).href);
    const second = await npmClient(new URL('npm/', b.url).href);
    try {
      const installed = await first.npm(['install', 'demo-lib@1.0.0']);
      expect(installed.code, installed.output).toBe(0);
      // B has served demo-lib, so its index cache holds it; a second project with its own npm cache
      // installs from the same lockfile.
      for (const f of ['package.json', 'package-lock.json']) await copyFile(path.join(first.dir, f), path.join(second.dir, f));

      const revoked = await api(a, 'POST', 'releases/npm:demo-lib@1.0.0/revoke', adminToken, { reason: 'advisory GHSA-test' });
      expect(revoked.status, await revoked.clone().text()).toBe(200);
      // B hears of it through PostgreSQL's notification, not its safety poll (every 5 s): its
      // packument drops the release well within the second.
      const revokedAt = performance.now();
      const offered = async () => Boolean(((await (await fetch(new URL('npm/demo-lib', b.url))).json()) as Json).versions?.['1.0.0']);
      while ((await offered()) && performance.now() - revokedAt < 1000) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(performance.now() - revokedAt).toBeLessThan(1000);

      const ci = await second.npm(['ci']);
      expect(ci.code).not.toBe(0);
      expect(ci.output).toContain('advisory GHSA-test');
    } finally {
      await first.remove();
      await second.remove();
    }
  });

  it('lets one of two reviewers deciding one release at once through both replicas win; the other gets a conflict', async () => {
    // Seen by both replicas (quarantined: 72h cooldown).
    for (const replica of [a, b]) expect((await fetch(new URL('npm/demo-lib', replica.url))).status).toBe(200);
    const [viaA, viaB] = await Promise.all([
      api(a, 'POST', 'releases/npm:demo-lib@3.0.0/approve', adminToken, { reason: 'looks fine' }),
      api(b, 'POST', 'releases/npm:demo-lib@3.0.0/reject', adminToken, { reason: 'looks wrong' }),
    ]);
    expect([viaA.status, viaB.status].sort()).toEqual([200, 409]);
    const loser = viaA.status === 409 ? viaA : viaB;
    // Whether the loser's request read the release before or after the winner's commit, it is told
    // the release is decided: by the store's conditional write, or by the state it then reads.
    expect(((await loser.json()) as { error: string }).error).toMatch(
      /^(npm:demo-lib@3\.0\.0 was decided meanwhile: admin decided|cannot (approve|reject) npm:demo-lib@3\.0\.0: it is (approved|rejected))/,
    );
    const audit = (await (await api(a, 'GET', 'audit?subject=npm:demo-lib@3.0.0')).json()) as { entries: Json[] };
    expect(audit.entries.filter((e) => e.action === 'approve' || e.action === 'reject')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(delivered('npm:demo-lib@3.0.0')).toHaveLength(1);
  });

  it('delivers a webhook the receiver refused through the other replica after the deciding one is killed', async () => {
    hooksDown = true;
    const revoked = await api(a, 'POST', 'releases/npm:demo-lib@2.0.0/revoke', adminToken, { reason: 'advisory GHSA-hook' });
    expect(revoked.status).toBe(200);
    const refused = async () => deliveries.some((d) => d.release === 'npm:demo-lib@2.0.0' && d.event === 'revoke' && d.status === 503);
    for (let i = 0; i < 100 && !(await refused()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await refused()).toBe(true);
    // Replica A dies with the delivery owed; the outbox in the database still holds it.
    await a.kill();
    hooksDown = false;
    // A may die after the refused attempt but before it handed the job back: then B takes it once
    // A's lease (attempt timeout + 20 s) runs out, so wait past that.
    for (let i = 0; i < 600 && delivered('npm:demo-lib@2.0.0').length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(delivered('npm:demo-lib@2.0.0')).toEqual([
      { event: 'approve', release: 'npm:demo-lib@2.0.0' },
      { event: 'revoke', release: 'npm:demo-lib@2.0.0' },
    ]);
    // Every attempt was the same delivery (one id), so a receiver can drop repeats.
    const attempts = deliveries.filter((d) => d.release === 'npm:demo-lib@2.0.0' && d.event === 'revoke');
    expect(new Set(attempts.map((d) => d.delivery)).size).toBe(1);
  });
});
