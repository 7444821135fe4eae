import { runAnalyzeCommand } from './analyze-command.js';
import type { CommandIo } from './command-io.js';
import { runReviewCommand } from './review-command.js';
import { runStoreCommand } from './store-command.js';
import { runTokenCommand } from './token-command.js';

const usage = `usage: airlock <command> [options]

  analyze   diff two artifacts offline (airlock analyze --previous a.tgz --candidate b.tgz --json)
  review    work the review queue through the API (list, show, approve, reject, revoke)
  token     create, list and revoke API tokens
  store     copy an embedded SQLite store into PostgreSQL (airlock store copy --from FILE --to URL)

Run \`airlock <command> --help\` for a command's options. To start the server: npm start.
`;

/** The `airlock` command: dispatches to one subcommand and returns its exit status. */
export async function runCli(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'analyze':
      return runAnalyzeCommand(rest, io);
    case 'review':
      return runReviewCommand(rest, io, env);
    case 'token':
      return runTokenCommand(rest, io, env);
    case 'store':
      return runStoreCommand(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(usage);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`airlock: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
  process.env,
);
