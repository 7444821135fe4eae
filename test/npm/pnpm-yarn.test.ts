import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { run, type RunResult } from '../helpers/run.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

const pnpmBin = path.resolve('node_modules/.bin/pnpm');
const yarnBin = path.resolve('node_modules/.bin/yarn');

const policy = [
  'cooldown: 72h',
  'analysisHorizon: 0',
  'packages:',
  '  "npm:demo-lib@1.0.0": { cooldown: 0 }',
  '  "npm:demo-lib@1.1.0": { cooldown: 0 }',
  '  "npm:@acme/widget@1.0.0": { cooldown: 0 }',
  '',
].join('\n');

let verdaccio: Verdaccio;
let airlock: StartedAirlock;
let registry: string;
let work: { dir: string; remove: () => Promise<void> };
let projects = 0;

interface Project {
  dir: string;
  run(args: string[]): Promise<RunResult>;
  read(file: string): Promise<string>;
}

/** A project for pnpm or yarn classic, configured like a user would, with its own store and cache. */
async function project(tool: 'pnpm' | 'yarn', dependencies: Record<string, string> = {}): Promise<Project> {
  const root = path.join(work.dir, `${tool}-${++projects}`);
  const dir = path.join(root, 'project');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'client-project', version: '1.0.0', private: true, dependencies }));
  await writeFile(path.join(root, 'user.npmrc'), `registry=${registry}\n`);
  // yarn classic reads the registry from .yarnrc; pnpm from .npmrc.
  await writeFile(path.join(dir, '.yarnrc'), `registry "${registry}"\n`);
  await writeFile(path.join(dir, '.npmrc'), `registry=${registry}\n`);
  const env = {
    npm_config_userconfig: path.join(root, 'user.npmrc'),
    npm_config_registry: registry,
    YARN_CACHE_FOLDER: path.join(root, 'yarn-cache'),
    COREPACK_ENABLE_STRICT: '0',
  };
  const toolArgs = tool === 'pnpm' ? ['--store-dir', path.join(root, 'store'), '--cache-dir', path.join(root, 'cache')] : ['--non-interactive', '--no-progress'];
  return {
    dir,
    run: (args) => run(tool === 'pnpm' ? pnpmBin : yarnBin, [...args, ...toolArgs], { cwd: dir, env }),
    read: (file) => readFile(path.join(dir, file), 'utf8'),
  };
}

async function upstreamDist(name: string, version: string): Promise<{ integrity: string; shasum: string }> {
  const doc = (await (await fetch(new URL(name.replace('/', '%2f'), verdaccio.url))).json()) as {
    versions: Record<string, { dist: { integrity: string; shasum: string } }>;
  };
  return doc.versions[version]!.dist;
}

describe('pnpm and yarn classic install through Airlock', () => {
  beforeAll(async () => {
    work = await tempDir('airlock-pnpm-yarn-');
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '1.1.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0' });
    await verdaccio.publish({ name: '@acme/widget', version: '1.0.0' });
    airlock = await startAirlock({ clock: new ManualClock(), policy, env: { AIRLOCK_NPM_UPSTREAM: verdaccio.url } });
    registry = new URL('npm/', airlock.url).href;
  }, 180_000);

  afterAll(async () => {
    await airlock?.close();
    await verdaccio?.stop();
    await work?.remove();
  });

  it('pnpm installs the highest released version; its lockfile keeps only the integrity because the tarball URL is the canonical registry one', async () => {
    const p = await project('pnpm');
    const res = await p.run(['add', 'demo-lib', '@acme/widget']);
    expect(res.code, res.output).toBe(0);
    expect(JSON.parse(await p.read('node_modules/demo-lib/package.json')).version).toBe('1.1.0');
    const lock = await p.read('pnpm-lock.yaml');
    expect(lock).toContain(`demo-lib@1.1.0:\n    resolution: {integrity: ${(await upstreamDist('demo-lib', '1.1.0')).integrity}}`);
    expect(lock).toContain(`'@acme/widget@1.0.0':\n    resolution: {integrity: ${(await upstreamDist('@acme/widget', '1.0.0')).integrity}}`);
    expect(lock).not.toContain('tarball:');
    expect(await p.read('node_modules/.modules.yaml')).toContain(registry);
  });

  it('pnpm does not see the held release', async () => {
    const p = await project('pnpm');
    const res = await p.run(['add', 'demo-lib@2.0.0']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('No matching version found for demo-lib@2.0.0');
  });

  it('yarn installs the highest released version and records Airlock tarball URLs in yarn.lock', async () => {
    const p = await project('yarn');
    const res = await p.run(['add', 'demo-lib', '@acme/widget']);
    expect(res.code, res.output).toBe(0);
    expect(JSON.parse(await p.read('node_modules/demo-lib/package.json')).version).toBe('1.1.0');
    const lock = await p.read('yarn.lock');
    const demo = await upstreamDist('demo-lib', '1.1.0');
    expect(lock).toContain(`resolved "${registry}demo-lib/-/demo-lib-1.1.0.tgz#${demo.shasum}"`);
    expect(lock).toContain(`integrity ${demo.integrity}`);
    expect(lock).toContain(`resolved "${registry}@acme/widget/-/widget-1.0.0.tgz#${(await upstreamDist('@acme/widget', '1.0.0')).shasum}"`);
  });

  it('yarn does not see the held release, and a yarn.lock pinned to it fails with a 403', async () => {
    const p = await project('yarn');
    const res = await p.run(['add', 'demo-lib@2.0.0']);
    expect(res.code).not.toBe(0);
    expect(res.output.replace(/\x1b\[[0-9;]*m/g, '')).toContain('Couldn\'t find any versions for "demo-lib" that matches "2.0.0"');

    const pinned = await project('yarn', { 'demo-lib': '2.0.0' });
    const dist = await upstreamDist('demo-lib', '2.0.0');
    await writeFile(
      path.join(pinned.dir, 'yarn.lock'),
      `# yarn lockfile v1\n\n\ndemo-lib@2.0.0:\n  version "2.0.0"\n  resolved "${registry}demo-lib/-/demo-lib-2.0.0.tgz#${dist.shasum}"\n  integrity ${dist.integrity}\n`,
    );
    const frozen = await pinned.run(['install', '--frozen-lockfile']);
    expect(frozen.code).not.toBe(0);
    // yarn classic prints the standard phrase for the status, not the server's reason phrase.
    expect(frozen.output).toContain(`${registry}demo-lib/-/demo-lib-2.0.0.tgz: Request failed "403 Forbidden"`);
  });

  it('after the cooldown pnpm and yarn install the release', async () => {
    airlock.clock.advance('73h');
    const p = await project('pnpm');
    const res = await p.run(['add', 'demo-lib@2.0.0']);
    expect(res.code, res.output).toBe(0);
    expect(JSON.parse(await p.read('node_modules/demo-lib/package.json')).version).toBe('2.0.0');
    const y = await project('yarn');
    const yres = await y.run(['add', 'demo-lib']);
    expect(yres.code, yres.output).toBe(0);
    expect(JSON.parse(await y.read('node_modules/demo-lib/package.json')).version).toBe('2.0.0');
  });
});
