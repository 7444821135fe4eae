import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { freePort } from './verdaccio.js';

/** Where Debian's postgresql-15 puts its server binaries (`.ci/run` installs them when missing). */
export const postgresBin = '/usr/lib/postgresql/15/bin';

export interface Postgres {
  /** `postgres://airlock@127.0.0.1:<port>/postgres`, the maintenance database. */
  url: string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the cluster and removes its files. */
  stop(): Promise<void>;
}

/** Runs a command with no stdin (pg_ctl forks the server, which must not hold our pipes). */
function exec(command: string, args: string[]): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}${err && code === 1 && !stderr ? err.message : ''}` });
    });
    child.stdin?.end();
  });
}

/**
 * The account the server runs as. PostgreSQL refuses to run as root, and CI runs as root, so then
 * the cluster belongs to the `postgres` system user (Debian's package creates it), else `nobody`.
 */
async function serverAccount(): Promise<{ user: string | null; uid: number; gid: number }> {
  if (process.getuid?.() !== 0) return { user: null, uid: -1, gid: -1 };
  for (const user of ['postgres', 'nobody']) {
    const uid = await exec('id', ['-u', user]);
    const gid = await exec('id', ['-g', user]);
    if (uid.code === 0 && gid.code === 0) return { user, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root, but there is neither a `postgres` nor a `nobody` user to run PostgreSQL as');
}

/**
 * Starts a real PostgreSQL 15 cluster in a temp dir, listening only on 127.0.0.1 at a free port,
 * with trust authentication for the `airlock` superuser. One cluster per test file; each test
 * that needs isolation asks for its own database. Durability is turned off: these are throwaway.
 */
export async function startPostgres(): Promise<Postgres> {
  if (!existsSync(path.join(postgresBin, 'initdb')))
    throw new Error(`PostgreSQL 15 is not installed (${postgresBin}/initdb is missing); run scripts/test-prerequisites.sh`);
  const account = await serverAccount();
  const dir = await mkdtemp(path.join(tmpdir(), 'airlock-pg-'));
  const data = path.join(dir, 'data');
  if (account.user) await chown(dir, account.uid, account.gid);
  const as = (command: string, args: string[]) =>
    account.user ? exec('runuser', ['-u', account.user, '--', path.join(postgresBin, command), ...args]) : exec(path.join(postgresBin, command), args);

  const init = await as('initdb', ['-D', data, '-U', 'airlock', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  if (init.code !== 0) throw new Error(`initdb failed (as ${account.user ?? userInfo().username}):\n${init.output}`);

  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    const options = [
      `-p ${port}`,
      "-c listen_addresses='127.0.0.1'",
      "-c unix_socket_directories=''",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
      '-c shared_buffers=16MB',
    ].join(' ');
    const start = await as('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
    if (start.code === 0) break;
    // Another process may have taken the port between freePort() and the bind; try another.
    if (attempt >= 2) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start:\n${start.output}`);
    }
  }

  const url = `postgres://airlock@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(prefix = 'airlock') {
      const name = `${prefix}_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://airlock@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
