import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The analysis worker's TypeScript entry. */
const entry = new URL('../analyzer/analysis-worker.ts', import.meta.url);

let bundle: Promise<URL | null> | null = null;

/**
 * The analysis worker and everything it imports (acorn, tar, yauzl: plain JavaScript) as one ES
 * module in a `data:` URL, built once per process with esbuild, a moment after the first pool is made. A
 * worker started from it needs no TypeScript loader: with tsx, each worker thread registered its
 * own loader (another thread) and compiled the analyzer module by module, about a second of CPU
 * per worker, paid when the first analysis of a cold install was waiting. Nothing is written to
 * disk, so no file another user could replace is ever run. Null when it cannot be built (logged):
 * the pool then starts workers through the tsx loader, as before.
 */
export function analysisWorkerBundle(log: (message: string) => void): Promise<URL | null> {
  bundle ??= build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    // Bundled CommonJS code requires Node's own modules; an ES module has no `require` of its own.
    banner: { js: "import { createRequire as __airlockCreateRequire } from 'node:module'; const require = __airlockCreateRequire('file:///analysis-worker.mjs');" },
  }).then(
    (result) => {
      const [file] = result.outputFiles;
      if (!file) throw new Error('esbuild produced no output');
      return new URL(`data:text/javascript;base64,${Buffer.from(file.contents).toString('base64')}`);
    },
    (err: unknown) => {
      log(`analysis worker not bundled (${(err as Error).message}); workers start through the TypeScript loader`);
      return null;
    },
  );
  return bundle;
}
