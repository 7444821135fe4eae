import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Where a worker starts when its bundle cannot be built: registers tsx in the thread, then imports `workerData.entry`. */
export const workerLoaderUrl = new URL('./worker-loader.mjs', import.meta.url);

const bundles = new Map<string, Promise<URL | null>>();

/**
 * A worker's TypeScript entry and everything it imports as one ES module in a `data:` URL, built
 * once per process with esbuild. A worker started from it needs no TypeScript loader: with tsx,
 * each worker thread registered its own loader (another thread) and compiled its modules one by
 * one, about a second of CPU per worker. Nothing is written to disk, so no file another user could
 * replace is ever run. Null when it cannot be built (logged, naming `what`): the worker then starts
 * from `workerLoaderUrl` with `workerData.entry`.
 */
export function workerBundle(entry: URL, what: string, log: (message: string) => void): Promise<URL | null> {
  let bundle = bundles.get(entry.href);
  if (!bundle) {
    bundle = build({
      entryPoints: [fileURLToPath(entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      // Bundled CommonJS code requires Node's own modules; an ES module has no `require` of its own.
      banner: { js: "import { createRequire as __airlockCreateRequire } from 'node:module'; const require = __airlockCreateRequire('file:///airlock-worker.mjs');" },
    }).then(
      (result) => {
        const [file] = result.outputFiles;
        if (!file) throw new Error('esbuild produced no output');
        return new URL(`data:text/javascript;base64,${Buffer.from(file.contents).toString('base64')}`);
      },
      (err: unknown) => {
        log(`${what} not bundled (${(err as Error).message}); it starts through the TypeScript loader`);
        return null;
      },
    );
    bundles.set(entry.href, bundle);
  }
  return bundle;
}
