import { Agent, get } from 'node:http';

/** What one load run measured. */
export interface LoadRun {
  seconds: number;
  /** Latency of every 200 answer completed within the run, in ms. */
  latencies: number[];
  /** Body bytes of those answers. */
  bytes: number;
  /** Non-200 answers and broken connections (requests still in flight at the end are not counted). */
  errors: number;
  /** Answers per replica, in the order of `bases`. */
  perReplica: number[];
}

export interface LoadOptions {
  /** One base URL per replica, e.g. `http://127.0.0.1:1234/npm/`. */
  bases: string[];
  /** Request paths under a base, taken in turn. */
  paths: string[];
  headers: Record<string, string>;
  /** Requests in flight at once: each connection sends its next request when its last answer is read. */
  connections: number;
  seconds: number;
}

/**
 * A closed-loop keep-alive load generator in front of one or more replicas, spreading requests as
 * deploy/nginx.conf does (`least_conn`: the replica with the fewest requests in flight, ties in
 * turn, so with equal replicas it is round-robin) over one keep-alive pool per replica. Node's own
 * http client rather than fetch or autocannon: both cost the generator more CPU per request (and
 * autocannon reads binary bodies slowly), and on a 2-core machine that CPU is taken from the servers.
 */
export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const agents = options.bases.map(() => new Agent({ keepAlive: true, maxSockets: options.connections }));
  const inFlight = options.bases.map(() => 0);
  const perReplica = options.bases.map(() => 0);
  const latencies: number[] = [];
  let bytes = 0;
  let errors = 0;
  let turn = 0;
  let nextPath = 0;
  const end = performance.now() + options.seconds * 1000;
  let over = false;
  const timer = setTimeout(() => {
    over = true;
    for (const agent of agents) agent.destroy();
  }, options.seconds * 1000);

  const pick = (): number => {
    let best = -1;
    for (let k = 0; k < inFlight.length; k++) {
      const i = (turn + k) % inFlight.length;
      if (best < 0 || inFlight[i]! < inFlight[best]!) best = i;
    }
    turn = (best + 1) % inFlight.length;
    return best;
  };
  const one = () =>
    new Promise<void>((resolve) => {
      const replica = pick();
      const url = `${options.bases[replica]!}${options.paths[nextPath++ % options.paths.length]!}`;
      inFlight[replica]!++;
      const done = () => {
        inFlight[replica]!--;
        resolve();
      };
      const started = performance.now();
      const req = get(url, { agent: agents[replica], headers: options.headers }, (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => (size += chunk.length));
        res.on('end', () => {
          const at = performance.now();
          if (res.statusCode !== 200) errors++;
          else if (at <= end) {
            latencies.push(at - started);
            bytes += size;
            perReplica[replica]!++;
          }
          done();
        });
        res.on('error', done);
      });
      req.on('error', () => {
        if (!over) errors++;
        done();
      });
    });

  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (!over) await one();
    }),
  );
  clearTimeout(timer);
  for (const agent of agents) agent.destroy();
  return { seconds: options.seconds, latencies, bytes, errors, perReplica };
}

/** Several runs of one configuration as one figure: answers per second over their total time, latency percentiles over all answers. */
export function summarize(runs: LoadRun[]): { requestsPerSecond: number; p50: number; p99: number; megabytesPerSecond: number; errors: number; perReplica: number[] } {
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : 0);
  const perReplica = runs[0]!.perReplica.map((_, i) => runs.reduce((n, r) => n + r.perReplica[i]!, 0));
  return {
    requestsPerSecond: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    megabytesPerSecond: runs.reduce((n, r) => n + r.bytes, 0) / seconds / 1024 / 1024,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    perReplica,
  };
}
