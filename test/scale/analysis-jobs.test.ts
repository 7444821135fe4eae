import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAirlockProcess, type AirlockProcess } from '../helpers/airlock-process.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { startS3rver, type S3Server } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from '../npm/upstream-proxy.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const adminToken = 'analysis-jobs-test-admin-token-0123';
const names = ['burst-a', 'burst-b', 'burst-c', 'burst-d'];
// Verdaccio stamps releases with the real time. No cooldown, so each x.1.0 is served once its
// analysis finds it clean; each x.0.0 is trusted by age, the baseline its x.1.0 is diffed against.
const policy = ['cooldown: 0', 'analysisHorizon: 30d', 'packages:', ...[...names, 'slow-lib'].map((n) => `  "npm:${n}@1.0.0": { analysisHorizon: 0 }`), ''].join('\n');
const tgz = (name: string, version: string) => `/${name}/-/${name}-${version}.tgz`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The analyses a replica ran of a release, from its log. */
/** What a replica logged about a package beyond its requests: said with a failed assertion on it. */
const notesOn = (replica: AirlockProcess, name: string) =>
  replica
    .output()
    .split('\n')
    .filter((line) => line.includes(name) && !line.includes('"event":"request"'))
    .join('\n');

const analysesIn = (replica: AirlockProcess, release: string) =>
  replica.output().split('\n').filter((line) => line.includes('"event":"analysis"') && line.includes(`"release":"${release}"`)).length;

describe('analysis jobs shared by two Airlock processes on one PostgreSQL database', () => {
  let cluster: Postgres;
  let s3: S3Server;
  let verdaccio: Verdaccio;
  // Each replica reaches upstream through its own recording proxy: what each fetched is counted apart.
  let upstreamA: UpstreamProxy;
  let upstreamB: UpstreamProxy;
  let a: AirlockProcess;
  let b: AirlockProcess;
  const removers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    [cluster, s3, verdaccio] = await Promise.all([startPostgres(), startS3rver(), startVerdaccio()]);
    for (const name of [...names, 'slow-lib']) {
      await verdaccio.publish({ name, version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } });
      await verdaccio.publish({ name, version: '1.1.0', files: { 'index.js': 'module.exports = 2;\n' } });
    }
    [upstreamA, upstreamB] = await Promise.all([startUpstreamProxy(verdaccio.url), startUpstreamProxy(verdaccio.url)]);
    const databaseUrl = await cluster.createDatabase();
    const config = await tempDir('airlock-analysis-jobs-');
    removers.push(config.remove);
    await writeFile(path.join(config.dir, 'policy.yaml'), policy);
    const env = {
      AIRLOCK_DATABASE_URL: databaseUrl,
      AIRLOCK_BLOB_STORE: `s3://${s3.bucket}/jobs`,
      AIRLOCK_S3_ENDPOINT: s3.endpoint,
      AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AIRLOCK_POLICY: path.join(config.dir, 'policy.yaml'),
      AIRLOCK_ADMIN_TOKEN: adminToken,
      // A replica that stops renewing loses its analyses to the other after 5 s.
      AIRLOCK_ANALYSIS_LEASE: '5s',
      AIRLOCK_FIRST_SIGHT_WAIT: '20s',
    };
    const [storageA, storageB] = await Promise.all([tempDir('airlock-replica-a-'), tempDir('airlock-replica-b-')]);
    removers.push(storageA.remove, storageB.remove);
    [a, b] = await Promise.all([
      startAirlockProcess({ ...env, AIRLOCK_STORAGE: storageA.dir, AIRLOCK_NPM_UPSTREAM: upstreamA.url }),
      startAirlockProcess({ ...env, AIRLOCK_STORAGE: storageB.dir, AIRLOCK_NPM_UPSTREAM: upstreamB.url }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([cluster?.stop(), s3?.stop(), verdaccio?.stop(), upstreamA?.close(), upstreamB?.close()]);
    for (const remove of removers) await remove();
  });

  const audit = async (replica: AirlockProcess, release: string) => {
    const res = await fetch(new URL(`api/v1/audit?subject=${release}&action=analyzed`, replica.url), { headers: { authorization: `Bearer ${adminToken}` } });
    return ((await res.json()) as { entries: Json[] }).entries;
  };

  it('runs each analysis once for 20 concurrent first-sight requests spread over both replicas, each tarball fetched at most once per replica', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const replica = i % 2 === 0 ? a : b;
        const res = await fetch(new URL(`npm/${names[Math.floor(i / 2) % names.length]}`, replica.url));
        return { status: res.status, latest: ((await res.json()) as Json)['dist-tags']?.latest as string };
      }),
    );
    // Every request, on either replica, learned its analysis finished wherever it ran.
    expect(answers).toEqual(Array.from({ length: 20 }, () => ({ status: 200, latest: '1.1.0' })));
    // And the tarballs themselves through both replicas: served from the shared bucket.
    for (const name of names) for (const replica of [a, b]) expect((await fetch(new URL(`npm/${name}/-/${name}-1.1.0.tgz`, replica.url))).status).toBe(200);

    for (const name of names) {
      const release = `npm:${name}@1.1.0`;
      expect(await audit(b, release), release).toHaveLength(1);
      expect(analysesIn(a, release) + analysesIn(b, release), release).toBe(1);
      for (const [replica, upstream] of [[a, upstreamA], [b, upstreamB]] as const) {
        const notes = `${release}, on ${replica === a ? 'A' : 'B'}:\n${notesOn(replica, name)}`;
        expect(upstream.hits(tgz(name, '1.1.0')), notes).toBeLessThanOrEqual(1);
        expect(upstream.hits(tgz(name, '1.0.0')), notes).toBeLessThanOrEqual(1);
      }
      // Fetched once in all: by the replica that ran the analysis.
      expect(upstreamA.hits(tgz(name, '1.1.0')) + upstreamB.hits(tgz(name, '1.1.0')), release).toBe(1);
    }
  });

  it('leaves an analysis to the other replica when the one running it is killed with SIGKILL, once its lease runs out', async () => {
    // The candidate's tarball takes a minute to reach replica A.
    upstreamA.delay(tgz('slow-lib', '1.1.0'), 60_000);
    const first = fetch(new URL('npm/slow-lib', a.url)).catch((err: unknown) => err as Error);
    for (let i = 0; i < 200 && upstreamA.hits(tgz('slow-lib', '1.1.0')) === 0; i++) await sleep(50);
    // A claimed the job and is fetching; B has not touched it.
    expect(upstreamA.hits(tgz('slow-lib', '1.1.0'))).toBe(1);
    expect(upstreamB.hits(tgz('slow-lib', '1.1.0'))).toBe(0);

    await a.kill();
    expect(await first).toBeInstanceOf(Error);
    // A client asking B now waits on the analysis B takes over when A's lease runs out; until then
    // A might be alive (just slow), so B leaves the job alone.
    const asked = fetch(new URL('npm/slow-lib', b.url));
    await sleep(2_000);
    expect(upstreamB.hits(tgz('slow-lib', '1.1.0'))).toBe(0);
    const res = await asked;
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json)['dist-tags'].latest).toBe('1.1.0');
    expect(upstreamB.hits(tgz('slow-lib', '1.1.0'))).toBe(1);
    expect(analysesIn(b, 'npm:slow-lib@1.1.0')).toBe(1);
    expect(await audit(b, 'npm:slow-lib@1.1.0')).toHaveLength(1);
  });
});
