import { runAnalyzeCommand } from './analyze-command.js';

// Runs `airlock analyze` on its own (tests spawn this as a real child process).
process.exitCode = await runAnalyzeCommand(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
});
