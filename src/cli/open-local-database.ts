import { ConfigError, loadConfig, redactUrl } from '../config.js';
import { databaseLocation, openDatabase, type OpenedDatabase } from '../store/open-stores.js';
import { CliError } from './api-client.js';

/**
 * The server's own database, found from the same settings the server reads (environment and
 * `AIRLOCK_CONFIG`): PostgreSQL at `AIRLOCK_DATABASE_URL`, else SQLite under `AIRLOCK_STORAGE`.
 */
export async function openLocalDatabase(env: NodeJS.ProcessEnv): Promise<OpenedDatabase> {
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  const location = databaseLocation(config);
  try {
    return await openDatabase(location, () => {});
  } catch (err) {
    const where = location.kind === 'sqlite' ? location.file : redactUrl(location.url);
    throw new CliError(`cannot open the database at ${where}: ${(err as Error).message}`, 1);
  }
}
