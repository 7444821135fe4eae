import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, type RunResult } from '../helpers/run.js';
import { tempDir } from '../helpers/temp-dir.js';

export interface PoetryClient {
  /** The project directory (pyproject.toml, poetry.lock, .venv). */
  dir: string;
  /** Writes pyproject.toml with these dependencies and Airlock as the only source. */
  setDependencies(deps: Record<string, string>): Promise<void>;
  poetry(args: string[]): Promise<RunResult>;
  remove(): Promise<void>;
}

/**
 * Debian's real Poetry (`python3-poetry`, 1.3) in a throwaway project whose only package source is
 * Airlock (`default = true` disables PyPI), with its own cache, config and in-project virtualenv.
 */
export async function poetryClient(indexUrl: string): Promise<PoetryClient> {
  const temp = await tempDir('airlock-poetry-');
  const dir = path.join(temp.dir, 'project');
  await mkdir(dir, { recursive: true });
  const env = {
    POETRY_CACHE_DIR: path.join(temp.dir, 'cache'),
    POETRY_CONFIG_DIR: path.join(temp.dir, 'config'),
    POETRY_DATA_DIR: path.join(temp.dir, 'data'),
    POETRY_VIRTUALENVS_IN_PROJECT: 'true',
    POETRY_NO_INTERACTION: '1',
    // No desktop keyring here: poetry would otherwise fail asking it for the source's credentials.
    PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
    PIP_FIND_LINKS: undefined,
    PIP_CONFIG_FILE: '/dev/null',
    // Debian's poetry runs on the system Python, not whatever python3 is first on PATH.
    PATH: `/usr/bin:/bin`,
  };
  return {
    dir,
    async setDependencies(deps) {
      const lines = Object.entries(deps).map(([name, spec]) => `${name} = ${JSON.stringify(spec)}`);
      await writeFile(
        path.join(dir, 'pyproject.toml'),
        [
          '[tool.poetry]',
          'name = "client-project"',
          'version = "0.1.0"',
          'description = ""',
          'authors = ["Airlock Test <test@example.com>"]',
          '',
          '[tool.poetry.dependencies]',
          'python = "^3.8"',
          ...lines,
          '',
          '[[tool.poetry.source]]',
          'name = "airlock"',
          `url = ${JSON.stringify(indexUrl)}`,
          'default = true',
          '',
        ].join('\n'),
      );
    },
    poetry: (args) => run('/usr/bin/poetry', args, { cwd: dir, env, timeoutMs: 180_000 }),
    remove: () => temp.remove(),
  };
}
