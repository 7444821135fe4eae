import path from 'node:path';
import { run, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/temp-dir.js';

export interface PipClient {
  /** Where `install` puts packages (`--target`) and `download` puts files (`-d`). */
  target: string;
  downloads: string;
  /** `pip install --target <target> <args>` through the index. */
  install(args: string[]): Promise<RunResult>;
  /** `pip download --no-deps -d <downloads> <args>` through the index. */
  download(args: string[]): Promise<RunResult>;
  remove(): Promise<void>;
}

/**
 * The real pip on this machine (`python3 -m pip`), configured as a user would point it at Airlock
 * (`--index-url <airlock>/pypi/simple/`), with no user config and no cache, so every run asks the
 * index afresh.
 */
export async function pipClient(indexUrl: string): Promise<PipClient> {
  const temp = await tempDir('airlock-pip-');
  const target = path.join(temp.dir, 'site');
  const downloads = path.join(temp.dir, 'downloads');
  const common = ['--index-url', indexUrl, '--no-cache-dir', '--disable-pip-version-check', '--no-input', '--retries', '0', '--timeout', '20'];
  const env = { PIP_CONFIG_FILE: '/dev/null', PIP_NO_INDEX: undefined, PIP_EXTRA_INDEX_URL: undefined, PIP_FIND_LINKS: undefined, PYTHONDONTWRITEBYTECODE: '1' };
  const pip = (args: string[]) => run('python3', ['-m', 'pip', ...args], { env, cwd: temp.dir });
  return {
    target,
    downloads,
    install: (args) => pip(['install', ...common, '--target', target, ...args]),
    download: (args) => pip(['download', ...common, '--no-deps', '-d', downloads, ...args]),
    remove: () => temp.remove(),
  };
}
