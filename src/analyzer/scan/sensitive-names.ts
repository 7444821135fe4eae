import type { CapabilityKind } from '../file-profile.js';

/** JavaScript modules whose import alone grants a capability. */
export const jsModuleCapabilities = new Map<string, CapabilityKind>([
  ['child_process', 'spawn'],
  ['shelljs', 'spawn'],
  ['execa', 'spawn'],
  ['cross-spawn', 'spawn'],
  ['vm', 'dynamic-code'],
  ['http', 'network'],
  ['https', 'network'],
  ['http2', 'network'],
  ['net', 'network'],
  ['tls', 'network'],
  ['dgram', 'network'],
  ['dns', 'network'],
  ['dns/promises', 'network'],
  ['undici', 'network'],
  ['axios', 'network'],
  ['node-fetch', 'network'],
  ['got', 'network'],
  ['request', 'network'],
  ['superagent', 'network'],
  ['ws', 'network'],
  ['socket.io-client', 'network'],
  ['needle', 'network'],
  ['cross-fetch', 'network'],
  ['isomorphic-fetch', 'network'],
  ['ky', 'network'],
  ['phin', 'network'],
  ['make-fetch-happen', 'network'],
  ['minipass-fetch', 'network'],
  ['ofetch', 'network'],
]);

/** Normalizes a module specifier for lookup: `node:https` → `https`, `https/` → `https`. */
export function jsModuleKey(specifier: string): string {
  return specifier.replace(/^node:/, '').replace(/\/$/, '');
}

/** Global (or global-object member) names that grant a capability when used. */
export const jsGlobalCapabilities = new Map<string, CapabilityKind>([
  ['eval', 'dynamic-code'],
  ['Function', 'dynamic-code'],
  ['fetch', 'network'],
  ['XMLHttpRequest', 'network'],
  ['WebSocket', 'network'],
  ['EventSource', 'network'],
]);

/** Objects through which globals are reached: `globalThis.eval`, `window['fetch']`. */
export const globalObjects = new Set(['globalThis', 'window', 'self', 'global', 'top', 'parent', 'frames']);

/** Member names that grant a capability whatever object they are read from. */
export const jsMemberCapabilities = new Map<string, CapabilityKind>([
  ['runInThisContext', 'dynamic-code'],
  ['runInNewContext', 'dynamic-code'],
  ['runInContext', 'dynamic-code'],
  ['compileFunction', 'dynamic-code'],
  ['_compile', 'dynamic-code'],
  ['sendBeacon', 'network'],
]);

/** Names that, when assembled from pieces at run time, only make sense as a way to hide them. */
export const hiddenNameTargets = new Set([
  'eval', 'Function', 'fetch', 'require', 'child_process', 'exec', 'execSync', 'spawn', 'spawnSync', 'execFile',
  'execFileSync', 'fork', 'binding', 'constructor', 'ethereum', '_compile', 'runInThisContext', 'runInNewContext',
  'http', 'https', 'net', 'dns', 'XMLHttpRequest', 'WebSocket', 'mainModule', 'process', 'global', 'globalThis',
]);

/** child_process calls that run a command (sinks for decode→exec). */
export const spawnMethods = new Set(['exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);

/** Calls whose result is decoded data (sources for decode→exec). */
export const decodeCalls = new Set([
  'atob', 'fromCharCode', 'inflateSync', 'gunzipSync', 'unzipSync', 'inflateRawSync', 'brotliDecompressSync', 'inflate',
  'gunzip', 'unzip', 'inflateRaw', 'brotliDecompress', 'fromCodePoint', 'createDecipher', 'createDecipheriv',
]);
