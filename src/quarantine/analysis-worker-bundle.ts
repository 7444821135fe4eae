import { workerBundle } from '../worker-bundle.js';

/** The analysis worker's TypeScript entry. */
const entry = new URL('../analyzer/analysis-worker.ts', import.meta.url);

/**
 * The analysis worker and everything it imports (acorn, tar, yauzl: plain JavaScript) as one
 * module (see workerBundle), built when the first pool is made, so a worker started while a cold
 * install waits on an analysis does not compile the analyzer first. Null when it cannot be built.
 */
export function analysisWorkerBundle(log: (message: string) => void): Promise<URL | null> {
  return workerBundle(entry, 'analysis worker', log);
}
