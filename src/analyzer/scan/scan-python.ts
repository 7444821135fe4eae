import type { CapabilityKind, FileProfile } from '../file-profile.js';
import { CapabilityCollector } from './capability-collector.js';
import { isEncodedBlob } from './entropy.js';
import { PythonExfiltration } from './python-exfiltration.js';
import { pythonLines, sourceOffset, type PythonLine } from './python-lines.js';
import { stringSignals, type StringSignal } from './string-signals.js';

/** Modules whose import grants a capability (also matched as `pkg.sub`). */
const moduleCapabilities = new Map<string, CapabilityKind>([
  ['socket', 'network'], ['urllib', 'network'], ['urllib.request', 'network'], ['urllib2', 'network'], ['urllib3', 'network'],
  ['http.client', 'network'], ['httplib', 'network'], ['requests', 'network'], ['httpx', 'network'], ['aiohttp', 'network'],
  ['ftplib', 'network'], ['smtplib', 'network'], ['telnetlib', 'network'], ['websocket', 'network'], ['websockets', 'network'],
  ['paramiko', 'network'], ['pycurl', 'network'], ['xmlrpc.client', 'network'], ['xmlrpclib', 'network'], ['dns.resolver', 'network'],
  ['subprocess', 'spawn'], ['pty', 'spawn'], ['commands', 'spawn'], ['popen2', 'spawn'],
]);

/** Names imported from a module that grant a capability (`from os import system`). */
const importedNameCapabilities: Record<string, Map<string, CapabilityKind>> = {
  os: new Map([
    ['system', 'spawn'], ['popen', 'spawn'], ['execv', 'spawn'], ['execve', 'spawn'], ['execl', 'spawn'], ['execlp', 'spawn'],
    ['execvp', 'spawn'], ['execvpe', 'spawn'], ['spawnv', 'spawn'], ['spawnl', 'spawn'], ['posix_spawn', 'spawn'], ['startfile', 'spawn'],
  ]),
  urllib: new Map([['request', 'network'], ['urlopen', 'network']]),
  http: new Map([['client', 'network']]),
  builtins: new Map([['exec', 'dynamic-code'], ['eval', 'dynamic-code']]),
};

const spawnCall = /\bos\.(system|popen\d?|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|startfile)\s*\(|\bsubprocess\.(Popen|run|call|check_call|check_output|getoutput|getstatusoutput)\b|\bpty\.spawn\s*\(|\basyncio\.create_subprocess_(exec|shell)\b/;
const dynamicCall = /(?<![\w.])(exec|eval|compile|execfile)\s*\(/;
const decodeSource = /\b(?:b64decode|b32decode|b16decode|b85decode|a85decode|standard_b64decode|urlsafe_b64decode|decodebytes|decodestring)\s*\(|\bcodecs\.decode\s*\(|\b(?:zlib|lzma|bz2|gzip)\.decompress\s*\(|\bmarshal\.loads\s*\(|\bbytes\.fromhex\s*\(|\bbinascii\.(?:unhexlify|a2b_\w+)\s*\(|\.decode\(\s*['"](?:hex|rot13|rot_13|base64)['"]|\bchr\s*\([^)]*\^/;
const sinkCall = /(?<![\w.])(?:exec|eval|compile)\s*\(|\bos\.(?:system|popen)\s*\(|\bsubprocess\.\w+\s*\(|(?<![\w.])(?:Popen|check_output|check_call)\s*\(/g;
const envDump = /\bjson\.dumps\(\s*(?:dict\(\s*)?os\.environ\b|(?<![\w.])(?:dict|str|repr)\(\s*os\.environ\s*\)|\bos\.environ\.items\(\)\s*\)|\bprintenv\b/;
const detachedSpawn = /\bpreexec_fn\s*=\s*os\.setsid\b|\bstart_new_session\s*=\s*True\b|\b(?:DETACHED_PROCESS|CREATE_NEW_PROCESS_GROUP|CREATE_NO_WINDOW)\b|\bos\.setsid\s*\(|['"][^'"]*\bnohup\b[^'"]*&[^'"]*['"]|['"]start\s+\/B\b/;
const tempPath = /['"]\/(?:var\/)?tmp\/|\btempfile\.|\bgettempdir\s*\(|%TEMP%/;
const chmodExecutable = /\bos\.chmod\s*\([^)]*(?:0o?[0-7]*[1357][0-7]{0,2}\b|S_IX(?:USR|GRP|OTH)|S_IEXEC|S_IRWXU)/;
/** A line where a bare address is a host: a host argument or key, a connect, a request, a DNS call. */
const pythonHostLine = /\b(?:host|hostname|addr|address|server|ip)\b|\bconnect(?:_ex)?\s*\(|\bcreate_connection\b|\bgethostby\w+|\burlopen\b|\brequests\.|\bhttpx\.|\bsendto\s*\(|HTTPS?Connection/i;
const hiddenNames = new Set(['os', 'subprocess', 'socket', 'system', 'popen', 'exec', 'eval', 'compile', 'b64decode', 'urlopen', 'requests', 'builtins', '__import__', 'marshal', 'base64', 'zlib']);

/**
 * Extracts a Python file's capability profile: imports (`import`, `from … import`,
 * `__import__`, `importlib`), exec/eval/compile, subprocess and os process calls, decode→exec
 * chains, endpoints, secret paths and obfuscation signals. Capabilities outside any def/class
 * body are marked `topLevel` (they run on import, or when setup.py is executed).
 */
export function scanPython(src: string): FileProfile {
  const { lines, tolerant } = pythonLines(src);
  const out = new CapabilityCollector(src);
  const blocks: number[] = [];
  /** Id of each open block (its line's index), parallel to `blocks`. */
  const blockIds: number[] = [];
  const tainted = new Set<string>();
  const signals: StringSignal[] = [];
  const exfiltration = new PythonExfiltration();

  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    while (blocks.length > 0 && line.indent <= blocks[blocks.length - 1]!) {
      blocks.pop();
      blockIds.pop();
    }
    const topLevel = blocks.length === 0;
    // The def line itself (its parameters) belongs to the body that follows.
    if (/^\s*(?:async\s+def|def|class)\b/.test(line.code)) {
      blocks.push(line.indent);
      blockIds.push(k);
    }
    if (line.bareString) continue; // docstrings describe, they do not run
    scanLine(line, topLevel, out, tainted, signals);
    exfiltration.line(line.code, line.offset, k, blockIds.length === 0 ? -1 : blockIds[blockIds.length - 1]!, lineSignals(line, signals));
  }
  exfiltration.finish(out);

  if (/\b__pyarmor__\b|\bpyarmor_runtime\b/.test(src)) out.add('obfuscation', 'pyarmor', src.search(/__pyarmor__|pyarmor_runtime/), 'PyArmor-protected code');
  const hidden = /\S[ \t]{150,}[^\s#]/.exec(src);
  if (hidden) out.add('obfuscation', 'hidden-after-whitespace', hidden.index + hidden[0].length - 1, 'code pushed off-screen after a long run of spaces');
  const hexNames = src.match(/\b_0x[0-9a-f]{3,}\b/gi);
  if (hexNames && hexNames.length >= 8) out.add('obfuscation', '_0x-names', src.search(/\b_0x[0-9a-f]{3,}\b/i), `${hexNames.length} \`_0x…\` names`);
  // Download, chmod +x, run: a second stage. The chmod alone is only a note for this check.
  const chmod = out.capabilities.findIndex((c) => c.kind === 'detached-spawn' && c.key === 'chmod-exec');
  if (chmod !== -1) {
    const found = out.capabilities[chmod]!;
    out.capabilities.splice(chmod, 1);
    if (out.has('network') && out.has('spawn')) out.capabilities.push({ ...found, key: 'download-exec', detail: 'marks a file executable in code that downloads and runs processes (download, chmod, run)' });
  }
  return { language: 'python', tolerant, capabilities: out.capabilities };
}

function scanLine(line: PythonLine, topLevel: boolean, out: CapabilityCollector, tainted: Set<string>, signals: StringSignal[]): void {
  const { code, offset } = line;
  const extra = { topLevel };
  /** The file offset of a match in `code`, so a statement over several lines reports the right one. */
  const at = (index: number) => sourceOffset(line, index);

  for (const m of code.matchAll(/(?:^|[;:"'(]|\bthen\b)\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)/g)) {
    for (const part of m[1]!.split(',')) moduleCapability(part.trim().split(/\s+/)[0]!, [], at(m.index), out, extra);
  }
  for (const m of code.matchAll(/(?:^|[;:"'])\s*from\s+([\w.]+)\s+import\s+\(?([\w\s,.*]+)/g)) {
    const names = m[2]!.split(',').map((s) => s.trim().split(/\s+/)[0]!).filter(Boolean);
    moduleCapability(m[1]!, names, at(m.index), out, extra);
  }
  for (const m of code.matchAll(/\b(?:__import__|importlib\.import_module|import_module)\(\s*(['"])([\w.]+)\1/g)) {
    moduleCapability(m[2]!, [], at(m.index), out, extra);
  }

  const spawn = spawnCall.exec(code);
  if (spawn) out.add('spawn', spawn[0].replace(/\s*\($/, '').replace(/^\W+/, ''), at(spawn.index), `${spawn[0].replace(/\s*\($/, '')}()`, extra);
  const dyn = dynamicCall.exec(code);
  if (dyn && !/^\s*(?:async\s+)?def\s/.test(code)) out.add('dynamic-code', dyn[1]!, at(dyn.index), `${dyn[1]}()`, extra);
  if (/\bmarshal\.loads\s*\(|\btypes\.CodeType\s*\(|\brunpy\.run_(?:path|module)\s*\(/.test(code)) {
    out.add('dynamic-code', 'code-object', offset, 'builds or runs a code object', extra);
  }
  const detached = detachedSpawn.exec(code);
  if (detached) out.add('detached-spawn', 'detached', offset, `starts a detached process (${detached[0].replace(/\s+/g, ' ')})`, extra);
  if (spawnCall.test(code) && tempPath.test(code)) out.add('detached-spawn', 'temp-exec', offset, 'runs a program from the temp directory', extra);
  if (chmodExecutable.test(code)) out.add('detached-spawn', 'chmod-exec', offset, 'marks a file executable', extra);
  if (envDump.test(code)) out.add('secret', 'environment dump', offset, 'serializes the whole environment (os.environ)', extra);
  if (/\burllib\.request\.urlopen\b|\burlopen\s*\(/.test(code)) out.add('network', 'urllib.request', offset, 'urlopen()', extra);

  // Taint: `name = <decoded data>`; then a sink fed by it.
  const assign = /^\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*(.+)$/s.exec(code);
  if (assign && (decodeSource.test(assign[2]!) || mentionsAny(assign[2]!, tainted))) tainted.add(assign[1]!);
  sinkCall.lastIndex = 0;
  for (let m = sinkCall.exec(code); m; m = sinkCall.exec(code)) {
    const span = argumentSpan(code, m.index + m[0].length - 1);
    const source = decodeSource.exec(span);
    if (source || mentionsAny(span, tainted)) {
      const sink = m[0].replace(/\s*\($/, '');
      out.add('decode-exec', 'decode-exec', at(m.index), `${sink}() runs ${source ? `data decoded with ${source[0].replace(/\s*\($/, '').replace(/^\W+/, '')}` : 'decoded data'}`, extra);
      break;
    }
  }

  for (const s of line.strings) {
    if (s.value.length >= 1024 && isEncodedBlob(s.value)) out.add('obfuscation', 'encoded-blob', s.offset, `a ${s.value.length}-character encoded blob`, extra);
    signals.length = 0;
    stringSignals(s.value, signals, pythonHostLine.test(code));
    if (signals.length > 0) out.addSignals(signals, s.offset, extra, s.end);
  }
  // 'o' + 's', 'sys' 'tem': names assembled from pieces.
  if (line.strings.length >= 2 && /['"]\s*\+?\s*[rbuf]?['"]/i.test(code)) {
    for (const m of code.matchAll(/(?:(['"])[\w.]*\1\s*\+?\s*){2,}/g)) {
      const folded = [...m[0].matchAll(/(['"])([\w.]*)\1/g)].map((p) => p[2]).join('');
      if (hiddenNames.has(folded)) {
        out.add('obfuscation', 'assembled-names', offset, `the name '${folded}' assembled from pieces`, extra);
        moduleCapability(folded, [], offset, out, extra);
        if (folded === 'system' || folded === 'popen') out.add('spawn', `os.${folded}`, offset, `os.${folded} (name assembled from pieces)`, extra);
        if (folded === 'exec' || folded === 'eval') out.add('dynamic-code', folded, offset, `${folded} (name assembled from pieces)`, extra);
      }
    }
  }
}

/** Every string signal of a line (scanLine reuses one buffer per string). */
function lineSignals(line: PythonLine, buffer: StringSignal[]): StringSignal[] {
  const all: StringSignal[] = [];
  for (const s of line.strings) {
    buffer.length = 0;
    stringSignals(s.value, buffer, pythonHostLine.test(line.code));
    all.push(...buffer);
  }
  return all;
}

function moduleCapability(module: string, names: string[], offset: number, out: CapabilityCollector, extra: { topLevel: boolean }): void {
  let cap = moduleCapabilities.get(module);
  if (!cap) {
    const top = module.split('.')[0]!;
    const sub = module.split('.').slice(0, 2).join('.');
    cap = moduleCapabilities.get(sub) ?? (['socket', 'requests', 'httpx', 'aiohttp', 'subprocess', 'paramiko', 'urllib3', 'websockets', 'websocket'].includes(top) ? moduleCapabilities.get(top) : undefined);
  }
  if (cap) out.add(cap, module, offset, `import ${module}`, extra);
  const byName = importedNameCapabilities[module];
  if (byName) {
    for (const name of names) {
      const c = byName.get(name);
      if (c) out.add(c, `${module}.${name}`, offset, `from ${module} import ${name}`, extra);
    }
  }
}

function mentionsAny(text: string, names: ReadonlySet<string>): boolean {
  for (const name of names) if (new RegExp(`(?<![\\w.])${name}(?![\\w])`).test(text)) return true;
  return false;
}

/** The text between the paren at `open` and its match (strings are not special-cased). */
function argumentSpan(code: string, open: number): string {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return code.slice(open + 1, i);
  }
  return code.slice(open + 1);
}

/** A `.pth` file: only lines starting with `import` run (at every interpreter start); the rest are paths. */
export function pthImportLines(text: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = [];
  text.split(/\r?\n/).forEach((code, i) => {
    if (code.startsWith('import ') || code.startsWith('import\t')) out.push({ line: i + 1, code });
  });
  return out;
}

/** Profile of a `.pth`: its executable lines scanned as Python, at their own line numbers. */
export function scanPth(text: string): FileProfile {
  const lines = text.split(/\r?\n/);
  const executable = lines.map((l) => (l.startsWith('import ') || l.startsWith('import\t') ? l : '')).join('\n');
  return scanPython(executable);
}
