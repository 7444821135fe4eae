import type { FileProfile, Language } from '../file-profile.js';
import { scanJs } from './scan-js.js';
import { scanPth, scanPython } from './scan-python.js';
import { scanShell } from './scan-shell.js';

/** Which scanner reads a file: by extension, or by the `#!` line of an extensionless script. */
export type ScanKind = Language | 'pth';

/** Runs the scanner for `kind` over a file's text. Never executes anything. */
export function profileFile(kind: ScanKind, text: string): FileProfile {
  switch (kind) {
    case 'js':
      return scanJs(text);
    case 'python':
      return scanPython(text);
    case 'pth':
      return scanPth(text);
    case 'shell':
      return scanShell(text);
  }
}
