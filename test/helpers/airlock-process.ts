import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './verdaccio.js';

export interface AirlockProcess {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crashed replica. */
  kill(): Promise<void>;
}

const entry = path.resolve('src/main.ts');

/**
 * Starts the real server (`npm start`'s `src/main.ts`) as its own process on a free loopback port,
 * configured only through `AIRLOCK_*` environment variables, and waits until `/healthz` answers.
 */
export async function startAirlockProcess(env: Record<string, string>): Promise<AirlockProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: {
      ...process.env,
      AIRLOCK_HOST: '127.0.0.1',
      AIRLOCK_PORT: String(port),
      AIRLOCK_PUBLIC_URL: url,
      AIRLOCK_NPM_UPSTREAM: 'http://127.0.0.1:9/',
      AIRLOCK_PYPI_UPSTREAM: 'http://127.0.0.1:9/',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Airlock exited with ${child.exitCode} before serving:\n${output}`);
    const ok = await fetch(new URL('healthz', url)).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Airlock did not answer /healthz within 60s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { url, output: () => output, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
