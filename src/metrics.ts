import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { releaseStates } from './domain/release-state.js';
import { ecosystems } from './domain/ecosystem.js';
import type { StateCount } from './domain/release-state.js';

/** Prometheus metrics for one Airlock process, on its own registry (no global state). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route'>;
  upstreamRequests: Counter<'upstream' | 'outcome'>;
  upstreamDuration: Histogram<'upstream'>;
  releasesByState: Gauge<'ecosystem' | 'state'>;
  analysisQueueLength: Gauge;
  analysisDuration: Histogram<'ecosystem' | 'verdict'>;
  /** Failed authentications by surface (`sign-in`, `api`, `package`) and outcome (`rejected`, `rate-limited`). */
  authFailures: Counter<'surface' | 'outcome'>;
  /** Bytes of artifacts in blob storage, as the artifact cache last counted them. */
  cacheStoredBytes: Gauge;
  /** Artifacts evicted to keep blob storage under AIRLOCK_CACHE_MAX. */
  cacheEvictions: Counter;
  /** Estimated heap bytes of the packages each upstream index keeps in memory (bounded by bytes). */
  indexBytes: Gauge<'upstream'>;
  /** Estimated heap bytes of the rendered index documents each ecosystem keeps (bounded by bytes). */
  renderBytes: Gauge<'upstream'>;
  /**
   * Index documents read into memory, by ecosystem and source (`upstream`: a new document;
   * `store`: one dropped from memory and read back). Many `store` reads say AIRLOCK_INDEX_MEMORY is small.
   */
  indexReads: Counter<'ecosystem' | 'source'>;
}

/**
 * `store`, when given, answers the release gauges at scrape time from the counts by state it keeps
 * with every change (a few rows, however many releases it holds), so a scrape counts no releases.
 */
export function createMetrics(store?: { countByState(): Promise<StateCount[]> }): Metrics {
  const registry = new Registry();
  // The event-loop lag monitor samples every 100 ms rather than prom-client's 10 ms: a lag still
  // shows at its full length (a sample measures how late its timer fired), and an idle Airlock
  // does not wake 100 times a second for it (that was two thirds of its idle CPU).
  collectDefaultMetrics({ register: registry, prefix: 'airlock_process_', eventLoopMonitoringPrecision: 100 });
  return {
    registry,
    httpRequests: new Counter({
      name: 'airlock_http_requests_total',
      help: 'HTTP requests served, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'airlock_http_request_duration_seconds',
      help: 'Time to serve HTTP requests, by route.',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    upstreamRequests: new Counter({
      name: 'airlock_upstream_requests_total',
      help: 'Requests to upstream registries, by upstream and outcome (ok, not-modified, not-found, error).',
      labelNames: ['upstream', 'outcome'],
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'airlock_upstream_request_duration_seconds',
      help: 'Upstream request latency (until headers arrive).',
      labelNames: ['upstream'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    releasesByState: new Gauge({
      name: 'airlock_releases',
      help: 'Releases Airlock knows, by ecosystem and state.',
      labelNames: ['ecosystem', 'state'],
      registers: [registry],
      async collect() {
        if (!store) return;
        const counts = new Map((await store.countByState()).map((c) => [`${c.ecosystem} ${c.state}`, c.count]));
        for (const ecosystem of ecosystems) for (const state of releaseStates) this.set({ ecosystem, state }, counts.get(`${ecosystem} ${state}`) ?? 0);
      },
    }),
    analysisQueueLength: new Gauge({
      name: 'airlock_analysis_queue_length',
      help: 'Releases waiting for or under analysis.',
      registers: [registry],
    }),
    analysisDuration: new Histogram({
      name: 'airlock_analysis_duration_seconds',
      help: 'Time to analyze a release, by ecosystem and verdict.',
      labelNames: ['ecosystem', 'verdict'],
      buckets: [0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 120],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'airlock_auth_failures_total',
      help: 'Failed authentications (wrong sign-in or bearer tokens), by surface (sign-in, api, package) and outcome (rejected, rate-limited).',
      labelNames: ['surface', 'outcome'],
      registers: [registry],
    }),
    cacheStoredBytes: new Gauge({
      name: 'airlock_artifact_cache_bytes',
      help: 'Bytes of artifacts kept in blob storage (each distinct blob once), as last counted.',
      registers: [registry],
    }),
    indexReads: new Counter({
      name: 'airlock_index_reads_total',
      help: 'Index documents (npm packuments, PyPI pages) read into memory, by ecosystem and source (upstream, store).',
      labelNames: ['ecosystem', 'source'],
      registers: [registry],
    }),
    cacheEvictions: new Counter({
      name: 'airlock_artifact_cache_evictions_total',
      help: 'Artifacts evicted from blob storage to stay under AIRLOCK_CACHE_MAX (fetched again from upstream when next asked for).',
      registers: [registry],
    }),
    indexBytes: new Gauge({
      name: 'airlock_index_memory_bytes',
      help: 'Estimated heap bytes of the packages the index keeps in memory, by upstream (the least recently refreshed are dropped past its budget).',
      labelNames: ['upstream'],
      registers: [registry],
    }),
    renderBytes: new Gauge({
      name: 'airlock_rendered_index_memory_bytes',
      help: 'Estimated heap bytes of rendered index documents kept, by upstream (the least recently rendered are dropped past its budget).',
      labelNames: ['upstream'],
      registers: [registry],
    }),
  };
}
