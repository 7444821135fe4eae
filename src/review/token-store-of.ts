import path from 'node:path';
import type { AppContext } from '../app-context.js';
import { openSqlite } from '../store/open-sqlite.js';
import { SqliteTokenStore } from '../store/sqlite-token-store.js';
import type { TokenStore } from '../store/token-store.js';

/**
 * The app's token store: the one passed in `AppDeps.tokens`, else a SQLite store on the same
 * database file as the releases, opened once per app and kept on the context so the review module
 * and the reader-token middleware share it. `opened` says whether this call opened it (its closer).
 */
export function tokenStoreOf(ctx: AppContext): { tokens: TokenStore; opened: boolean } {
  if (ctx.tokens) return { tokens: ctx.tokens, opened: false };
  const tokens = new SqliteTokenStore(openSqlite(path.join(ctx.config.storageDir, 'airlock.db')));
  ctx.tokens = tokens;
  return { tokens, opened: true };
}
