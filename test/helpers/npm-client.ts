import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, type RunResult } from './run.js';
import { tempDir } from './temp-dir.js';

export interface NpmClient {
  /** A project directory with its own .npmrc pointing at the registry. */
  dir: string;
  /** Runs `npm <args>` in the project with an isolated cache and user config. */
  npm(args: string[]): Promise<RunResult>;
  /** Writes package.json for the project. */
  setDependencies(deps: Record<string, string>): Promise<void>;
  remove(): Promise<void>;
}

/**
 * A throwaway project for the real npm client, configured the way a user would configure it
 * (`registry=<airlock>/npm/`), with its own cache so nothing is served from an earlier test.
 */
export async function npmClient(registry: string): Promise<NpmClient> {
  const temp = await tempDir('airlock-npm-client-');
  const dir = path.join(temp.dir, 'project');
  await mkdir(dir, { recursive: true });
  const userconfig = path.join(temp.dir, 'user.npmrc');
  await writeFile(userconfig, `registry=${registry}\n`);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'client-project', version: '1.0.0', private: true }));
  const env = {
    npm_config_userconfig: userconfig,
    npm_config_cache: path.join(temp.dir, 'cache'),
    npm_config_registry: registry,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_fetch_retries: '0',
    npm_config_loglevel: 'warn',
  };
  return {
    dir,
    npm: (args) => run('npm', args, { cwd: dir, env }),
    async setDependencies(deps) {
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'client-project', version: '1.0.0', private: true, dependencies: deps }));
    },
    remove: () => temp.remove(),
  };
}
