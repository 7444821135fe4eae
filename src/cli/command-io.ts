/** Where a CLI command writes; `process.stdout`/`stderr` in the real CLI. */
export interface CommandIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}
