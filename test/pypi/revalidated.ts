import { expect } from 'vitest';
import { documentKey } from '../../src/ecosystems/pypi/pypi-index.js';
import type { PypiUpstream } from '../helpers/pypi-upstream.js';
import type { StartedAirlock } from '../helpers/start-airlock.js';

const json = 'application/vnd.pypi.simple.v1+json';

/**
 * Waits until Airlock has read the page upstream serves now for `project` (normalised name). A
 * project Airlock already has is revalidated in the background while its last page is served,
 * so a test that changed upstream asks Airlock once and waits for the new page to be recorded.
 */
export async function revalidated(airlock: StartedAirlock, upstream: PypiUpstream, project: string): Promise<void> {
  const current = Buffer.from(await (await fetch(`${upstream.url}simple/${project}/`, { headers: { accept: json } })).arrayBuffer());
  await expect
    .poll(
      async () => {
        await (await fetch(`${airlock.url}pypi/simple/${project}/`, { headers: { accept: json } })).arrayBuffer();
        return (await airlock.store.getDocument(documentKey(project)))?.body.equals(current) ?? false;
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(true);
}
