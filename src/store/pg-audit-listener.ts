import { listenOnChannels, type PgListener, type PgListenerOptions } from './pg-listener.js';

/** The channel the audit table's trigger notifies on each statement that appends (PostgreSQL migration 6). */
export const auditChannel = 'airlock_audit';

export type AuditListener = PgListener;
export type AuditListenerOptions = Omit<PgListenerOptions, 'applicationName' | 'name'>;

/**
 * Calls `onAppend` on each notification of `auditChannel`, on a connection of its own (see
 * listenOnChannels): a read of `id > cursor` after it sees the new rows.
 */
export function listenForAuditAppends(connectionString: string, onAppend: () => void, options: AuditListenerOptions = {}): AuditListener {
  return listenOnChannels(connectionString, [auditChannel], () => onAppend(), { ...options, applicationName: 'airlock-audit-listener', name: 'audit listener' });
}
