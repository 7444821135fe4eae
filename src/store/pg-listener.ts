import pg from 'pg';

export interface PgListener {
  /** Stops listening and closes the connection; no callback runs after it resolves. */
  close(): Promise<void>;
}

export interface PgListenerOptions {
  /**
   * Called with true once `LISTEN` is in force (first connect and every reconnect) and with false
   * when the connection is lost. Notifications sent while not listening are lost, so whoever
   * follows them reads the store once on each `true` and polls faster in between.
   */
  onListening?: (listening: boolean) => void;
  log?: (message: string) => void;
  /** The first wait before reconnecting; doubled on each failure up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How the connection is named in `pg_stat_activity`. */
  applicationName?: string;
  /** What the log calls it (`audit listener`). */
  name?: string;
}

/**
 * Holds one dedicated connection (not from the pool: a pooled connection is lent to queries and
 * returned, and a LISTEN on it would be heard by whichever query holds it next) that listens on
 * `channels`, and calls `onNotification` with each notification's channel and payload. PostgreSQL
 * delivers a notification when the notifying transaction commits, so a read after it sees what
 * was written. A lost connection (server restart, failover, `pg_terminate_backend`) is opened
 * again with back-off until `close`.
 */
export function listenOnChannels(
  connectionString: string,
  channels: readonly string[],
  onNotification: (channel: string, payload: string) => void,
  options: PgListenerOptions = {},
): PgListener {
  for (const c of channels) if (!/^[a-z_][a-z0-9_]*$/.test(c)) throw new Error(`"${c}" is not a channel name Airlock uses (lowercase letters, digits, _)`);
  const log = options.log ?? ((m: string) => console.error(m));
  const retryMinMs = options.retryMinMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  let retryMs = retryMinMs;
  let closed = false;
  let current: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const lost = (client: pg.Client, err: Error) => {
    if (client !== current || closed) return;
    current = null;
    // The old client may still report its end; it is nobody's concern any more.
    client.removeAllListeners();
    client.on('error', () => {});
    void client.end().catch(() => {});
    options.onListening?.(false);
    log(`${options.name ?? 'listener'}: ${err.message}; listening again in ${retryMs} ms`);
    retry = setTimeout(connect, retryMs);
    retry.unref();
    retryMs = Math.min(retryMs * 2, retryMaxMs);
  };

  const connect = () => {
    retry = null;
    if (closed) return;
    const client = new pg.Client({
      connectionString,
      application_name: options.applicationName ?? 'airlock-listener',
      // A connection attempt to a server that does not answer fails and is retried, not awaited forever;
      // keep-alive lets the kernel notice a peer that vanished without closing.
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    current = client;
    client.on('notification', (message) => {
      if (client === current && !closed && channels.includes(message.channel)) onNotification(message.channel, message.payload ?? '');
    });
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client, new Error('the connection ended')));
    client
      .connect()
      .then(() => client.query(channels.map((c) => `LISTEN ${c}`).join('; ')))
      .then(() => {
        if (client !== current || closed) return;
        retryMs = retryMinMs;
        options.onListening?.(true);
      })
      .catch((err: unknown) => lost(client, err as Error));
  };

  connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const client = current;
      current = null;
      if (client) {
        client.removeAllListeners();
        client.on('error', () => {});
        await client.end().catch(() => {});
      }
    },
  };
}
