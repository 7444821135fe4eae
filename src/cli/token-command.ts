import { parseArgs } from 'node:util';
import { isAirlockError } from '../errors.js';
import { createApiToken, tokenJson } from '../review/create-api-token.js';
import { apiClientFromEnv, CliError } from './api-client.js';
import type { CommandIo } from './command-io.js';
import { openLocalDatabase } from './open-local-database.js';

const usage = `usage: airlock token <command> [options]

  create --name NAME --role reader|reviewer|admin [--json]
      prints the new token once; only its hash is stored
  list [--json]
  revoke <id|name>

  Where tokens are kept:
  - On the Airlock host (no AIRLOCK_TOKEN set, or --local): the server's own database, from the
    same settings (AIRLOCK_DATABASE_URL, else airlock.db under AIRLOCK_STORAGE, default ./storage).
    This is how the first tokens are made.
  - Anywhere else: set AIRLOCK_URL and AIRLOCK_TOKEN to an admin token and the API is used.
`;

type Row = ReturnType<typeof tokenJson>;

interface TokenBackend {
  where: string;
  create(name: string, role: string): Promise<Row & { token: string }>;
  list(): Promise<Row[]>;
  revoke(idOrName: string): Promise<Row>;
  close(): Promise<void>;
}

/** `airlock token …`: manages API tokens. Returns the exit status. */
export async function runTokenCommand(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        local: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (values.help || !command) {
    (values.help ? io.stdout : io.stderr)(usage);
    return values.help ? 0 : 2;
  }
  let backend: TokenBackend | null = null;
  try {
    if (extra.length > 0) throw new CliError(`unexpected arguments: ${extra.join(' ')}`, 2);
    if (!['create', 'list', 'revoke'].includes(command)) throw new CliError(`unknown command "${command}"\n\n${usage}`, 2);
    if (command === 'create' && (!values.name || !values.role)) throw new CliError('create needs --name and --role', 2);
    if (command === 'revoke' && !target) throw new CliError('revoke needs a token id or name (see `airlock token list`)', 2);
    backend = values.local || !env.AIRLOCK_TOKEN ? await localBackend(env) : apiBackend(env);
    if (command === 'create') {
      const created = await backend.create(values.name ?? '', values.role ?? ''); // both checked above
      if (values.json) io.stdout(`${JSON.stringify(created)}\n`);
      else {
        io.stdout(`${created.token}\n`);
        io.stderr(`created ${created.role} token "${created.name}" (id ${created.id}) in ${backend.where}; it is shown only this once\n`);
      }
    } else if (command === 'list') {
      const rows = await backend.list();
      if (values.json) io.stdout(`${JSON.stringify({ tokens: rows })}\n`);
      else if (rows.length === 0) io.stdout('no tokens\n');
      else
        for (const t of rows)
          io.stdout(`${String(t.id).padEnd(4)} ${t.name.padEnd(20)} ${t.role.padEnd(9)} ${t.revokedAt ? `revoked ${t.revokedAt}` : `created ${t.createdAt} by ${t.createdBy}`}\n`);
    } else {
      const revoked = await backend.revoke(target ?? ''); // checked above
      io.stdout(`revoked token "${revoked.name}" (id ${revoked.id})\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`airlock token: ${err.message}\n`);
      return err.exitCode;
    }
    if (isAirlockError(err)) {
      io.stderr(`airlock token: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await backend?.close();
  }
}

async function localBackend(env: NodeJS.ProcessEnv): Promise<TokenBackend> {
  const database = await openLocalDatabase(env);
  const { tokens, store: releases } = database;
  const find = async (idOrName: string) => {
    const all = await tokens.listTokens();
    const t = all.find((x) => !x.revokedAt && (String(x.id) === idOrName || x.name === idOrName));
    if (!t) throw new CliError(`no live token with id or name "${idOrName}"`, 1);
    return t;
  };
  return {
    where: database.where,
    async create(name, role) {
      const now = new Date();
      const { token, info } = await createApiToken(tokens, { name, role, createdBy: 'local', now });
      await releases.appendAudit({ at: now, actor: 'local', role: 'admin', action: 'token-created', subject: `token:${info.name}`, reason: null, detail: { id: info.id, role: info.role } });
      return { token, ...tokenJson(info) };
    },
    list: async () => (await tokens.listTokens()).map(tokenJson),
    async revoke(idOrName) {
      const t = await find(idOrName);
      const now = new Date();
      await tokens.revokeToken(t.id, now);
      await releases.appendAudit({ at: now, actor: 'local', role: 'admin', action: 'token-revoked', subject: `token:${t.name}`, reason: null, detail: { id: t.id } });
      return tokenJson({ ...t, revokedAt: now });
    },
    close: () => database.close(),
  };
}

function apiBackend(env: NodeJS.ProcessEnv): TokenBackend {
  const api = apiClientFromEnv(env);
  const list = async () => ((await api.request('GET', 'api/v1/tokens')).json as { tokens: Row[] }).tokens;
  return {
    where: api.baseUrl,
    create: async (name, role) => (await api.request('POST', 'api/v1/tokens', { name, role })).json as Row & { token: string },
    list,
    async revoke(idOrName) {
      const t = (await list()).find((x) => !x.revokedAt && (String(x.id) === idOrName || x.name === idOrName));
      if (!t) throw new CliError(`no live token with id or name "${idOrName}"`, 1);
      await api.request('DELETE', `api/v1/tokens/${t.id}`);
      return t;
    },
    close: async () => {},
  };
}
