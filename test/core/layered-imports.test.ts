import path from 'node:path';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

// The layering rule and its options as `npm test` lints src/ with them (one block of eslint.config.js
// covers all of src/), read once.
const layering = new ESLint({ cwd: repo }).calculateConfigForFile(path.join(repo, 'src/app.ts')).then((config) => ({
  plugin: config.plugins.airlock,
  options: config.rules['airlock/layered-imports'],
}));

/** What the layering rule alone says about `code` as if it were `file` (no type information needed, so it is quick). */
async function layerProblems(file: string, code: string): Promise<string[]> {
  const { plugin, options } = await layering;
  const messages = new Linter({ cwd: repo }).verify(
    code,
    [{ files: ['**/*.ts', '**/*.js', '**/*.mjs'], languageOptions: { parser: tseslint.parser }, plugins: { airlock: plugin }, rules: { 'airlock/layered-imports': options } }],
    { filename: path.join(repo, file) },
  );
  return messages.map((m) => m.message);
}

describe('the layering lint on src/', () => {
  it('fails a store file that imports quarantine, which sits above the store', async () => {
    const problems = await layerProblems('src/store/probe.ts', "import type { Release } from '../quarantine/release.js';\n");
    expect(problems).toEqual([expect.stringMatching(/^store \(layer \d+\) imports quarantine \(layer \d+\), which is above it/)]);
  });

  it('fails a store file that imports the analyzer beside it, and npm code that re-exports PyPI code', async () => {
    expect(await layerProblems('src/store/probe.ts', "import type { Finding } from '../analyzer/types.js';\n")).toEqual([
      expect.stringMatching(/^store imports analyzer, beside it in layer \d+/),
    ]);
    expect(await layerProblems('src/ecosystems/npm/routes/probe.ts', "export { pypiArtifacts } from '../../pypi/pypi-artifacts.js';\n")).toEqual([
      expect.stringMatching(/^npm imports pypi, beside it/),
    ]);
  });

  it('fails a lazy import() of the app from the domain', async () => {
    const problems = await layerProblems('src/domain/probe.ts', "export const load = () => import('../app.js');\n");
    expect(problems).toEqual([expect.stringMatching(/^domain \(layer \d+\) imports app \(layer \d+\)/)]);
  });

  it('fails a src file that is in no layer', async () => {
    expect(await layerProblems('src/probe.ts', 'export const probe = 1;\n')).toEqual(['src/probe.ts is in no layer: add its folder or file to the layers in eslint.config.js']);
  });

  it('passes review code that imports its own module and the store, quarantine and domain below it', async () => {
    const code = [
      "import type { Release } from '../domain/release.js';",
      "import { releaseStatus } from '../quarantine/release-status.js';",
      "import type { ReleaseStore } from '../store/release-store.js';",
      "import { summarize } from './release-view.js';",
      "import express from 'express';",
      '',
    ].join('\n');
    expect(await layerProblems('src/review/probe.ts', code)).toEqual([]);
  });
});
