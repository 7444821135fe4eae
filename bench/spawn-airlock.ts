import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../test/helpers/verdaccio.js';
import { waitFor } from './bench-tools.js';

export interface BenchAirlock {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  child: ChildProcess;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts Airlock as `npm start` runs it (`src/main.ts` of the checkout `root`) on a free loopback
 * port, configured only through `AIRLOCK_*` variables, and waits for `/healthz`. Its request log
 * goes to /dev/null rather than a pipe: reading a busy server's log would cost the bench process
 * (the load generator) CPU that the measurement then blames on the server. `AIRLOCK_BENCH_NODE_ARGS`
 * adds Node options for Airlock only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
 */
export async function spawnAirlock(root: string, env: Record<string, string>): Promise<BenchAirlock> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const nodeArgs = (process.env.AIRLOCK_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(root, 'src/main.ts')], {
    cwd: root,
    env: { ...process.env, AIRLOCK_HOST: '127.0.0.1', AIRLOCK_PORT: String(port), AIRLOCK_PUBLIC_URL: url, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(`${url}healthz`, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
