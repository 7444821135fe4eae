import { benchAnalyzer } from './analyzer.js';
import { benchLifecycle } from './lifecycle.js';
import { benchNpm } from './npm.js';
import { benchPypi } from './pypi.js';
import { benchReviewPage } from './review-page.js';
import { benchStorageEngines } from './storage-engines.js';

/**
 * `npm run bench [-- <name>…]`: runs the side-by-side benchmarks and prints their figures and
 * ratios against the targets (default: all). Names: npm, pypi, analyzer, review-page, lifecycle,
 * cold-install (the one that uses the npm registry), storage, cache-sizing, replicas.
 */
const benches: Record<string, () => Promise<void>> = {
  npm: benchNpm,
  pypi: benchPypi,
  analyzer: benchAnalyzer,
  'review-page': benchReviewPage,
  lifecycle: benchLifecycle,
  'cold-install': async () => (await import('./cold-install.js')).benchColdInstall(),
  storage: benchStorageEngines,
  'cache-sizing': async () => (await import('./cache-sizing.js')).benchCacheSizing(),
  replicas: async () => (await import('./replicas.js')).benchReplicas(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  console.log(`\n=== ${name} ===`);
  await benches[name]!();
}
