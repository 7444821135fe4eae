import { runReviewCommand } from './review-command.js';
import { runTokenCommand } from './token-command.js';

// A small entry for `review` and `token` alone (tests run it as a child process); `main.ts` is the full CLI.
const [command, ...rest] = process.argv.slice(2);
const io = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };
if (command === 'review') process.exitCode = await runReviewCommand(rest, io, process.env);
else if (command === 'token') process.exitCode = await runTokenCommand(rest, io, process.env);
else {
  process.stderr.write('usage: review-main review|token …\n');
  process.exitCode = 2;
}
