import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { run } from './run.js';
import { tempDir } from './temp-dir.js';

const verdaccioBin = path.resolve('node_modules/.bin/verdaccio');

export interface PackageFixture {
  name: string;
  version: string;
  /** Extra package.json fields (scripts, dependencies, bin, …). */
  manifest?: Record<string, unknown>;
  /** Files besides package.json, by relative path. */
  files?: Record<string, string | Buffer>;
  /** dist-tag to publish under. @default 'latest' */
  tag?: string;
}

export interface Verdaccio {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Publishes a package version with the real `npm publish`. */
  publish(fixture: PackageFixture): Promise<void>;
  stop(): Promise<void>;
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real Verdaccio 6 on loopback, in its own process, with no uplinks (tests never reach
 * the public registry) and anonymous publishing, storage in a temp dir.
 */
export async function startVerdaccio(options: { port?: number } = {}): Promise<Verdaccio> {
  const temp = await tempDir('airlock-verdaccio-');
  const port = options.port ?? (await freePort());
  const config = path.join(temp.dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${path.join(temp.dir, 'storage')}`,
      'uplinks: {}',
      'packages:',
      "  '@*/*': { access: $all, publish: $all, unpublish: $all }",
      "  '**': { access: $all, publish: $all, unpublish: $all }",
      'max_body_size: 200mb',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}/`;
  const child: ChildProcess = spawn(process.execPath, [verdaccioBin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitForPing(url, child, () => log);

  const npmrc = path.join(temp.dir, 'publisher.npmrc');
  await writeFile(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=test-publisher\n`);

  return {
    url,
    async publish(fixture) {
      const dir = path.join(temp.dir, 'pkg', `${fixture.name.replace('/', '__')}@${fixture.version}`);
      await mkdir(dir, { recursive: true });
      const manifest = { name: fixture.name, version: fixture.version, license: 'MIT', ...fixture.manifest };
      await writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
      for (const [file, content] of Object.entries(fixture.files ?? { 'index.js': `module.exports = ${JSON.stringify(fixture.version)};\n` })) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), content);
      }
      const result = await run('npm', ['publish', '--userconfig', npmrc, '--tag', fixture.tag ?? 'latest', '--access', 'public', '--ignore-scripts'], {
        cwd: dir,
        env: { npm_config_cache: path.join(temp.dir, 'publisher-cache') },
      });
      if (result.code !== 0) throw new Error(`npm publish ${fixture.name}@${fixture.version} failed:\n${result.output}`);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      await temp.remove();
    },
  };
}

async function waitForPing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited early:\n${log()}`);
    try {
      const res = await fetch(new URL('-/ping', url));
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`verdaccio did not start within 30s:\n${log()}`);
}
