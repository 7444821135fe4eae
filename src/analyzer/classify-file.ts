import type { ScanKind } from './scan/profile-file.js';

const jsExtensions = /\.(?:js|cjs|mjs|jsx|ts|mts|cts|tsx)$/i;
const typeDeclarations = /\.d\.(?:ts|mts|cts)$|\.d\.[^/]*\.ts$/i;
const pythonExtensions = /\.(?:py|pyw)$/i;
const shellExtensions = /\.(?:sh|bash|zsh|command|bat|cmd|ps1|psm1)$/i;
const nativeExtensions = /\.(?:node|so|dll|dylib|pyd|exe)$|\.so\.\d[\d.]*$/i;

/** Which scanner a file needs, `sniff` when only its `#!` line can tell, or null for data. */
export function scanKindOf(path: string): ScanKind | 'sniff' | null {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base.endsWith('.pth')) return 'pth';
  if (jsExtensions.test(base)) return typeDeclarations.test(base) ? null : 'js';
  if (pythonExtensions.test(base)) return 'python';
  if (shellExtensions.test(base)) return 'shell';
  if (!base.includes('.') || /^(?:bin|scripts)\//.test(path)) return 'sniff';
  return null;
}

/** The scanner named by a `#!` line, if any. */
export function scanKindFromShebang(text: string): ScanKind | null {
  if (!text.startsWith('#!')) return null;
  const first = text.slice(0, text.indexOf('\n') === -1 ? 200 : text.indexOf('\n'));
  if (/\bnode\b|\bdeno\b|\bbun\b/.test(first)) return 'js';
  if (/python/.test(first)) return 'python';
  if (/\b(?:ba|z|da|k)?sh\b/.test(first)) return 'shell';
  return null;
}

const metadataNames = new Set([
  'package.json', 'binding.gyp', 'setup.py', 'setup.cfg', 'pyproject.toml', 'PKG-INFO', 'METADATA', 'entry_points.txt',
  'requires.txt', 'WHEEL', 'RECORD',
]);

/** Files whose text rules read directly (manifests, build files, `.pth`). */
export function isMetadataFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return metadataNames.has(base) || base.endsWith('.pth') || base.endsWith('.gyp') || base.endsWith('.gypi');
}

/**
 * Tests, examples and docs: they ship in the artifact but do not run when it is installed or
 * imported, so routine capabilities there (network, spawn, URLs) are not findings.
 */
export function isTestPath(path: string): boolean {
  if (/(?:^|\/)(?:tests?|__tests__|spec|specs|__mocks__|examples?|docs?|benchmarks?|fixtures|testdata|test_data)\//i.test(path)) return true;
  const base = path.slice(path.lastIndexOf('/') + 1);
  return /\.(?:test|spec)\.[cm]?[jt]sx?$/i.test(base) || /^test_.*\.py$|_test\.py$|^conftest\.py$/.test(base);
}

/** ELF, PE, Mach-O by magic number, or a native-module extension. */
export function isNativeBinary(path: string, head: Buffer): boolean {
  if (nativeExtensions.test(path)) return true;
  const [b0, b1, b2, b3] = head;
  if (b0 === undefined || b1 === undefined || b2 === undefined || b3 === undefined) return false;
  if (b0 === 0x7f && b1 === 0x45 && b2 === 0x4c && b3 === 0x46) return true; // ELF
  if (b0 === 0x4d && b1 === 0x5a && !/\.(?:txt|md|json|js|py)$/i.test(path)) return true; // MZ (PE)
  const magic = head.readUInt32BE(0);
  if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return true; // Mach-O
  if (magic === 0xcafebabe && !path.endsWith('.class')) return true; // Mach-O universal
  return false;
}
