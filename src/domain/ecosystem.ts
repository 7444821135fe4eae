/** The registries Airlock mirrors; the first word of every release id (`npm:express@5.0.0`). */
export type Ecosystem = 'npm' | 'pypi';
export const ecosystems: readonly Ecosystem[] = ['npm', 'pypi'];
