import type { FileProfile } from '../file-profile.js';
import { CapabilityCollector } from './capability-collector.js';
import { isEncodedBlob } from './entropy.js';
import { foldExpressionAt } from './fold-expression.js';
import { findJsExfiltration, type EndpointAt, type SecretSource } from './js-exfiltration.js';
import * as lexer from './js-lexer.js';
import { lexJs, releaseTokens, stringValue, type JsTokens, type NameFilter } from './js-lexer.js';
import {
  decodeCalls,
  globalObjects,
  hiddenNameTargets,
  jsGlobalCapabilities,
  jsMemberCapabilities,
  jsModuleCapabilities,
  jsModuleKey,
  spawnMethods,
} from './sensitive-names.js';
import { stringSignals, type StringSignal } from './string-signals.js';

/**
 * Local copies of the lexer's token codes. Under tsx an imported binding compiles to a getter
 * call, and the token loop reads these millions of times per bundle.
 */
const T_IDENT: number = lexer.T_IDENT;
const T_PUNCT: number = lexer.T_PUNCT;
const T_STRING: number = lexer.T_STRING;
const T_TEMPLATE: number = lexer.T_TEMPLATE;
const P_OPTIONAL_DOT: number = lexer.P_OPTIONAL_DOT;
const P_COMPOUND_ASSIGN: number = lexer.P_COMPOUND_ASSIGN;

const DOT = 46;
const LPAREN = 40;
const RPAREN = 41;
const LBRACK = 91;
const RBRACK = 93;
const LBRACE = 123;
const RBRACE = 125;
const COMMA = 44;
const SEMI = 59;
const ASSIGN = 61;
const PLUS = 43;
const BANG = 33;
const COLON = 58;
const CARET = 94;

/** Identifiers the scanner looks at; every other identifier is skipped without slicing. */
const interesting = new Set([
  'require', 'import', 'from', 'eval', 'Function', 'constructor', 'setTimeout', 'setInterval', 'binding', '_linkedBinding',
  'dlopen', 'fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'sendBeacon', 'stringify', 'defineProperty', 'Proxy',
  'runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', '_compile', 'Script', 'while', 'ethereum',
  'exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'atob', 'fromCharCode', 'Buffer',
  'mainModule', 'inflateSync', 'gunzipSync', 'unzipSync', 'inflateRawSync', 'brotliDecompressSync', 'inflate', 'gunzip',
  'unzip', 'inflateRaw', 'brotliDecompress', 'env', 'privateKey', 'secretKey', 'mnemonic', 'seedPhrase', 'passphrase', 'password',
  'detached', 'chmodSync', 'chmod', 'unref', 'createDecipher', 'createDecipheriv',
]);
/** Shell commands that start something in the background, detached from the installer. */
const backgroundCommand = /\bnohup\b[^]*&\s*(?:$|;|\|)|\bstart\s+(?:""\s+)?\/B\b|\bsetsid\b|\bdisown\b|Start-Process\b[^]*-WindowStyle\s+Hidden/i;

/** Property and variable names that hold a host, and calls whose first argument is one. */
const hostKeys = /^(?:host|hostname|address|addr|ip|server|remote|remoteAddress|target|proxy|url|endpoint|baseURL|baseUrl|origin)$/i;
const hostCalls = new Set(['connect', 'createConnection', 'request', 'get', 'post', 'lookup', 'resolve', 'resolve4', 'fetch', 'Socket', 'send', 'open', 'WebSocket', 'URL']);

/** Environment variables that hold credentials. */
const credentialVariable = /^(?:NPM_TOKEN|NODE_AUTH_TOKEN|GITHUB_TOKEN|GH_TOKEN|AWS_[A-Z0-9_]+|PYPI_[A-Z0-9_]+|[A-Z0-9_]*_(?:TOKEN|SECRET|SECRET_KEY|PASSWORD|API_KEY|ACCESS_KEY|PRIVATE_KEY))$/;
/** `Object.entries(process.env)` and friends enumerate the whole environment (`keys` gives names only, no secret). */
const enumerators = new Set(['entries', 'values', 'assign', 'fromEntries']);
/**
 * A cheap pre-filter on an identifier's length with its first and last characters (all names
 * above are ASCII and shorter than 32), so the million ordinary identifiers of a bundle are
 * dismissed without slicing a string or hashing into a Set.
 */
const interestingFirst = new Uint8Array(32 * 128);
const interestingLast = new Uint8Array(32 * 128);
for (const name of interesting) {
  interestingFirst[(name.length << 7) | name.charCodeAt(0)] = 1;
  interestingLast[(name.length << 7) | name.charCodeAt(name.length - 1)] = 1;
}
const interestingNames: NameFilter = { first: interestingFirst, last: interestingLast };

/**
 * Extracts a JavaScript file's capability profile: the modules it loads (also through
 * concatenated or computed names), dangerous globals, decode→exec flows, hooks on browser
 * APIs, endpoints, secret paths and obfuscation signals.
 */
export function scanJs(src: string): FileProfile {
  const tokens = lexJs(src, interestingNames);
  const scanner = new JsScanner(src, tokens);
  try {
    scanner.run();
  } finally {
    releaseTokens(tokens);
  }
  return { language: 'js', tolerant: tokens.tolerant, capabilities: scanner.out.capabilities };
}

class JsScanner {
  readonly out: CapabilityCollector;
  private readonly consts = new Map<string, string>();
  /** Calls that execute their argument; `object` is the receiver for child_process methods. */
  private readonly sinks: Array<{ paren: number; name: string; object?: string | null }> = [];
  /** Token indexes of decoding calls (atob, Buffer.from(…, 'base64'), inflate…). */
  private readonly decodeSources: number[] = [];
  /** Names bound to the child_process module or its functions. */
  private readonly childProcessNames = new Set<string>();
  private sawPut = false;
  private sawRegistry = false;
  private bangArrays = 0;
  private escapedStrings = 0;
  private readonly signals: StringSignal[] = [];
  /** Secrets read, and hosts named, for the source→sink check at the end. */
  private readonly secretSources: SecretSource[] = [];
  private readonly endpointsAt: EndpointAt[] = [];
  /** In a file with obfuscator-style names: the short literals, i.e. its string table. */
  private readonly table: Set<string> | null;
  /** Offset of a chmod to an executable mode, for download→chmod→run. */
  private chmodExec = -1;
  /** Token indexes of an assignment target's member chain, innermost first. */
  private readonly chainTokens = new Int32Array(6);

  constructor(
    private readonly src: string,
    private readonly t: JsTokens,
  ) {
    this.out = new CapabilityCollector(src);
    this.table = t.hexNames >= 8 ? new Set() : null;
  }

  run(): void {
    const { t } = this;
    // Every other token is a no-op for the checks below, so only the lexer's candidates are visited.
    const { type, candidates, candidateCount } = t;
    for (let c = 0; c < candidateCount; c++) {
      const i = candidates[c]!;
      const k = type[i]!;
      if (k === T_IDENT) this.identifier(i);
      else if (k === T_PUNCT) this.punct(i);
      else this.stringToken(i);
    }
    this.finish();
  }

  private text(i: number): string {
    return this.src.slice(this.t.start[i], this.t.end[i]);
  }
  private isPunct(i: number, code: number): boolean {
    return i >= 0 && i < this.t.count && this.t.type[i] === T_PUNCT && this.t.value[i] === code;
  }
  private isDot(i: number): boolean {
    return i >= 0 && this.t.type[i] === T_PUNCT && (this.t.value[i] === DOT || this.t.value[i] === P_OPTIONAL_DOT);
  }
  private isIdent(i: number, name?: string): boolean {
    if (i < 0 || i >= this.t.count || this.t.type[i] !== T_IDENT) return false;
    return name === undefined || (this.t.end[i]! - this.t.start[i]! === name.length && this.text(i) === name);
  }
  private isString(i: number): boolean {
    return i >= 0 && i < this.t.count && (this.t.type[i] === T_STRING || this.t.type[i] === T_TEMPLATE);
  }
  /** `name(...) {` is a method definition, not a call. */
  private isDefinition(paren: number): boolean {
    const close = this.t.match[paren]!;
    return close > 0 && this.isPunct(close + 1, LBRACE);
  }
  /** The object a member is read from (`window` in `window.fetch`), when it is a plain name. */
  private objectOf(i: number): string | null {
    if (this.isDot(i - 1) && this.isIdent(i - 2)) return this.text(i - 2);
    return null;
  }

  private identifier(i: number): void {
    const len = this.t.end[i]! - this.t.start[i]!;
    if (len >= 32) return;
    const first = this.src.charCodeAt(this.t.start[i]!);
    if (first >= 128 || interestingFirst[(len << 7) | first] === 0) return;
    const last = this.src.charCodeAt(this.t.end[i]! - 1);
    if (last >= 128 || interestingLast[(len << 7) | last] === 0) return;
    const name = this.text(i);
    if (!interesting.has(name)) return;
    const offset = this.t.start[i]!;
    const afterDot = this.isDot(i - 1);
    const object = this.objectOf(i);
    const viaGlobal = object !== null && globalObjects.has(object);
    const called = this.isPunct(i + 1, LPAREN);
    const propertyKey = this.isPunct(i + 1, COLON) && (this.isPunct(i - 1, LBRACE) || this.isPunct(i - 1, COMMA));

    switch (name) {
      case 'require':
        if (called && (!afterDot || object === 'module' || object === 'mainModule' || viaGlobal)) this.moduleCall(i + 1, 'require');
        return;
      case 'import':
        if (called && !afterDot) this.moduleCall(i + 1, 'import');
        else if (this.isString(i + 1)) this.moduleSpecifier(stringValue(this.src, this.t, i + 1), offset, `import '${stringValue(this.src, this.t, i + 1)}'`);
        return;
      case 'from':
        if (this.isString(i + 1) && !called && (this.isIdent(i - 1) || this.isPunct(i - 1, RBRACE) || this.isPunct(i - 1, 42))) {
          const spec = stringValue(this.src, this.t, i + 1);
          this.moduleSpecifier(spec, offset, `import … from '${spec}'`);
          if (jsModuleKey(spec) === 'child_process') {
            for (let j = i - 1, steps = 0; j >= 0 && steps < 60 && !this.isIdent(j, 'import'); j--, steps++) {
              if (this.isIdent(j) && !this.isIdent(j, 'as')) this.childProcessNames.add(this.text(j));
            }
          }
        } else if (object === 'Buffer' && called) this.bufferFrom(i);
        return;
      case 'eval':
      case 'Function':
        if (propertyKey || (afterDot && !viaGlobal)) return;
        if (name === 'Function' && !called) return;
        if (this.isIdent(i - 1, 'function') || this.isIdent(i - 1, 'class')) return;
        if (called && this.isDefinition(i + 1)) return;
        this.out.add('dynamic-code', name, offset, name === 'eval' ? 'eval()' : 'new Function()');
        if (called) this.sinks.push({ paren: i + 1, name: name === 'eval' ? 'eval' : 'Function' });
        return;
      case 'constructor':
        // `[].constructor.constructor('code')` reaches Function without naming it.
        if (afterDot && called && (this.isIdent(i - 2, 'constructor') || this.isString(i + 2))) {
          this.out.add('dynamic-code', 'Function', offset, 'Function constructor via .constructor()');
          this.sinks.push({ paren: i + 1, name: 'Function' });
        }
        return;
      case 'setTimeout':
      case 'setInterval':
        if (called && this.isString(i + 2) && !afterDot) {
          this.out.add('dynamic-code', 'string-timer', offset, `${name}() with a code string`);
          this.sinks.push({ paren: i + 1, name });
        }
        return;
      case 'binding':
      case '_linkedBinding':
        if (object === 'process' && called) {
          const arg = this.isString(i + 2) ? stringValue(this.src, this.t, i + 2) : '?';
          const spawn = arg === 'spawn_sync' || arg === 'process_wrap';
          this.out.add(spawn ? 'spawn' : 'dynamic-code', `process.binding(${arg})`, offset, `process.binding('${arg}')`);
        }
        return;
      case 'dlopen':
        if (object === 'process') this.out.add('dynamic-code', 'process.dlopen', offset, 'process.dlopen()');
        return;
      case 'fetch':
        if (propertyKey || this.isIdent(i - 1, 'function') || this.isIdent(i - 1, 'async')) return;
        if (afterDot && !viaGlobal) return;
        if (called && this.isDefinition(i + 1)) return;
        if (!called && !viaGlobal) return;
        this.out.add('network', 'fetch', offset, 'fetch()');
        return;
      case 'XMLHttpRequest':
      case 'WebSocket':
      case 'EventSource':
        if (propertyKey || (afterDot && !viaGlobal)) return;
        this.out.add('network', name, offset, name);
        return;
      case 'sendBeacon':
        if (afterDot) this.out.add('network', 'sendBeacon', offset, 'navigator.sendBeacon()');
        return;
      case 'stringify':
        // JSON.stringify(process.env): the whole environment, usually on its way out.
        if (object === 'JSON' && called && this.isIdent(i + 2, 'process') && this.isDot(i + 3) && this.isIdent(i + 4, 'env') && (this.isPunct(i + 5, RPAREN) || this.isPunct(i + 5, COMMA))) {
          this.out.add('secret', 'environment dump', offset, 'serializes the whole environment (JSON.stringify(process.env))');
          this.secretSources.push({ token: i + 4, key: 'environment', what: 'the whole environment' });
        }
        return;
      case 'defineProperty':
        if (called && this.isIdent(i + 2) && globalObjects.has(this.text(i + 2)) && this.isPunct(i + 3, COMMA) && this.isString(i + 4)) {
          const prop = stringValue(this.src, this.t, i + 4);
          const hook = hookTarget([this.text(i + 2), prop]);
          if (hook) this.out.add('browser-hook', hook, offset, `redefines ${this.text(i + 2)}.${prop}`);
        }
        return;
      case 'Proxy':
        if (this.isIdent(i - 1, 'new') && called) {
          const chain: string[] = [];
          for (let j = i + 2; j < i + 8 && (this.isIdent(j) || this.isDot(j)); j++) if (this.isIdent(j)) chain.push(this.text(j));
          const hook = hookTarget(chain);
          if (hook) this.out.add('browser-hook', hook, offset, `wraps ${chain.join('.')} in a Proxy`);
        }
        return;
      case 'runInThisContext':
      case 'runInNewContext':
      case 'runInContext':
      case 'compileFunction':
      case '_compile':
        if (afterDot) {
          this.out.add(jsMemberCapabilities.get(name)!, name, offset, name === '_compile' ? 'module._compile()' : `vm.${name}()`);
          if (called) this.sinks.push({ paren: i + 1, name });
        }
        return;
      case 'Script':
        if (object === 'vm' && called) this.sinks.push({ paren: i + 1, name: 'vm.Script' });
        return;
      case 'while':
        // while (!![]) — the loop of javascript-obfuscator's string-array rotator.
        if (this.isPunct(i + 1, LPAREN) && this.isPunct(i + 2, BANG) && this.isPunct(i + 3, BANG) && this.isPunct(i + 4, LBRACK) && this.isPunct(i + 5, RBRACK)) {
          this.out.add('obfuscation', 'string-array rotator', offset, 'a `while (!![])` string-array rotator loop');
        }
        return;
      case 'ethereum':
        return;
      case 'exec':
      case 'execSync':
      case 'spawn':
      case 'spawnSync':
      case 'execFile':
      case 'execFileSync':
      case 'fork':
        if (called && !this.isDefinition(i + 1)) this.sinks.push({ paren: i + 1, name, object: afterDot ? object ?? '?' : null });
        return;
      case 'createDecipher':
      case 'createDecipheriv':
      case 'inflateSync':
      case 'gunzipSync':
      case 'unzipSync':
      case 'inflateRawSync':
      case 'brotliDecompressSync':
      case 'inflate':
      case 'gunzip':
      case 'unzip':
      case 'inflateRaw':
      case 'brotliDecompress':
        if (called) this.decodeSources.push(i);
        return;
      case 'atob':
      case 'fromCharCode':
        if (called) this.decodeSources.push(i);
        if (called && name === 'atob' && this.isString(i + 2) && this.isPunct(i + 3, RPAREN)) {
          this.decodedConstant(Buffer.from(stringValue(this.src, this.t, i + 2), 'base64').toString('latin1'), offset);
        } else if (called && name === 'fromCharCode' && object === 'String') {
          const folded = foldExpressionAt(this.src, this.t.start[i - 2]!, this.consts);
          if (folded) this.foldedString(folded.value, offset, true);
        }
        return;
      case 'env':
        if (object === 'process') this.processEnv(i);
        return;
      case 'privateKey':
      case 'secretKey':
      case 'mnemonic':
      case 'seedPhrase':
      case 'passphrase':
      case 'password':
        if (!propertyKey) this.secretSources.push({ token: i, key: name, what: `\`${name}\`` });
        return;
      case 'detached':
        // `{ detached: true }` in spawn options: the child outlives the install.
        if (this.isPunct(i + 1, COLON) && (this.isIdent(i + 2, 'true') || (this.isPunct(i + 2, BANG) && this.text(i + 3) === '0'))) {
          this.out.add('detached-spawn', 'detached', offset, 'starts a detached process (`detached: true`)');
        }
        return;
      case 'chmod':
      case 'chmodSync':
        if (called && this.executableMode(i + 1)) this.chmodExec = offset;
        return;
      case 'unref':
        return;
      case 'Buffer':
      case 'mainModule':
        return;
    }
  }

  /** Whether a chmod call's mode (its last argument) sets an execute bit: 0o755, 493, '755', '+x'. */
  private executableMode(paren: number): boolean {
    const close = this.t.match[paren]!;
    if (close < 0) return false;
    const last = close - 1;
    const raw = this.isString(last) ? stringValue(this.src, this.t, last) : this.text(last);
    if (/^\+?[ug]?\+x$/.test(raw)) return true;
    let mode = NaN;
    if (/^0o[0-7]+$/i.test(raw)) mode = parseInt(raw.slice(2), 8);
    else if (/^[0-7]{3,4}$/.test(raw) && this.isString(last)) mode = parseInt(raw, 8);
    else if (/^\d+$/.test(raw)) mode = Number(raw);
    return Number.isFinite(mode) && (mode & 0o111) !== 0;
  }

  /** `process.env` at token `i`: a credential variable, or the whole environment enumerated. */
  private processEnv(i: number): void {
    const offset = this.t.start[i]!;
    let variable: string | null = null;
    if (this.isDot(i + 1) && this.isIdent(i + 2)) variable = this.text(i + 2);
    else if (this.isPunct(i + 1, LBRACK) && this.isString(i + 2) && this.isPunct(i + 3, RBRACK)) variable = stringValue(this.src, this.t, i + 2);
    if (variable !== null) {
      if (credentialVariable.test(variable)) this.secretSources.push({ token: i, key: variable, what: `process.env.${variable}` });
      return;
    }
    const head = i - 2; // the `process` token
    // const { NPM_TOKEN } = process.env
    if (this.isPunct(head - 1, ASSIGN) && this.isPunct(head - 2, RBRACE)) {
      for (let j = head - 3, steps = 0; j >= 0 && steps < 40 && !this.isPunct(j, LBRACE); j--, steps++) {
        if (this.isIdent(j) && credentialVariable.test(this.text(j))) this.secretSources.push({ token: i, key: this.text(j), what: `process.env.${this.text(j)}` });
      }
      return;
    }
    const whole = { token: i, key: 'environment', what: 'the whole environment' };
    if (this.t.type[head - 1] === T_PUNCT && this.t.value[head - 1] === lexer.P_SPREAD) {
      // `env: { ...process.env, X: 1 }` hands the environment to a child process: not a leak.
      if (!(this.isPunct(head - 2, LBRACE) && this.isPunct(head - 3, COLON) && this.isIdent(head - 4, 'env'))) this.secretSources.push(whole);
      return;
    }
    if (this.isPunct(head - 1, LPAREN) && this.isIdent(head - 2) && enumerators.has(this.text(head - 2)) && this.isDot(head - 3) && this.isIdent(head - 4, 'Object')) {
      // `env: Object.assign({}, process.env)` (and the like) is the same hand-over.
      if (this.isPunct(head - 5, COLON) && this.isIdent(head - 6, 'env')) return;
      this.secretSources.push(whole);
      if (this.text(head - 2) !== 'assign') this.out.add('secret', 'environment dump', offset, `enumerates the whole environment (Object.${this.text(head - 2)}(process.env))`);
      return;
    }
    if (this.isIdent(head - 1, 'in') || this.isIdent(head - 1, 'of')) {
      this.secretSources.push(whole);
      this.out.add('secret', 'environment dump', offset, 'iterates over the whole environment');
    }
  }

  private bufferFrom(i: number): void {
    const close = this.t.match[i + 1]!;
    if (close < 0) return;
    let encoding: string | null = null;
    for (let j = i + 2; j < close; j++) {
      if (this.isString(j)) {
        const v = stringValue(this.src, this.t, j);
        if (v === 'base64' || v === 'hex' || v === 'base64url') encoding = v;
      }
    }
    if (!encoding) return;
    this.decodeSources.push(i);
    if (this.isString(i + 2) && this.isPunct(i + 3, COMMA)) {
      const data = stringValue(this.src, this.t, i + 2);
      this.decodedConstant(Buffer.from(data, encoding as BufferEncoding).toString('latin1'), this.t.start[i]!);
    }
  }

  /** A literal that is decoded at run time: look inside it for hosts, modules and commands. */
  private decodedConstant(decoded: string, offset: number): void {
    if (decoded.length < 4) return;
    let printable = 0;
    const sample = decoded.length > 4096 ? decoded.slice(0, 4096) : decoded;
    for (let k = 0; k < sample.length; k++) {
      const c = sample.charCodeAt(k);
      if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) printable++;
    }
    if (printable / sample.length < 0.9) return;
    this.foldedString(decoded, offset, true);
    // The decoded text may itself be code (`eval(atob('…'))`): scan it as a nested file.
    if (/require|import|eval|fetch|child_process|https?:/.test(decoded) && decoded.length < 1_000_000) {
      const nested = scanJs(decoded);
      for (const c of nested.capabilities) {
        this.out.add(c.kind, c.key, offset, `${c.detail} (inside a decoded string)`, c.risk ? { risk: c.risk } : {});
      }
    }
  }

  /** A string produced by folding or decoding: check for hidden names as well as ordinary signals. */
  private foldedString(value: string, offset: number, assembled: boolean): void {
    this.signals.length = 0;
    stringSignals(value, this.signals, true);
    this.out.addSignals(this.signals, offset);
    this.noteSignals(offset, -1);
    if (!assembled) return;
    const key = jsModuleKey(value);
    const moduleCap = jsModuleCapabilities.get(key);
    if (moduleCap && key !== 'request' && key !== 'got' && key !== 'ky' && key !== 'ws') {
      this.out.add(moduleCap, key, offset, `'${key}' (assembled at run time)`);
    }
    if (hiddenNameTargets.has(value)) {
      this.out.add('obfuscation', 'assembled-names', offset, `the name '${value}' assembled from pieces at run time`);
      const globalCap = jsGlobalCapabilities.get(value);
      if (globalCap) this.out.add(globalCap, value, offset, `${value} (name assembled at run time)`);
    }
  }

  /** `require(…)` / `import(…)` with the paren at index `paren`. */
  private moduleCall(paren: number, how: 'require' | 'import'): void {
    const offset = this.t.start[paren - 1]!;
    if (this.isString(paren + 1) && this.isPunct(paren + 2, RPAREN)) {
      const spec = stringValue(this.src, this.t, paren + 1);
      this.moduleSpecifier(spec, offset, `${how}('${spec}')`);
      if (jsModuleKey(spec) === 'child_process') this.bindChildProcess(paren - 1, paren + 2);
      if (how === 'import' && /^data:(text|application)\/(javascript|ecmascript)/.test(spec)) {
        this.out.add('dynamic-code', 'data-url-import', offset, 'import() of a data: URL');
      }
      return;
    }
    const folded = foldExpressionAt(this.src, this.t.end[paren]!, this.consts);
    if (!folded) return;
    this.moduleSpecifier(folded.value, offset, `${how}(${folded.assembled ? 'assembled ' : ''}'${folded.value}')`);
    if (jsModuleKey(folded.value) === 'child_process' && this.t.match[paren]! > 0) this.bindChildProcess(paren - 1, this.t.match[paren]!);
    // Bundlers build plain module paths from pieces; only names worth hiding count.
    const hidden = jsModuleCapabilities.has(jsModuleKey(folded.value)) || hiddenNameTargets.has(folded.value);
    if (folded.assembled && hidden) this.out.add('obfuscation', 'assembled-names', offset, `the module name '${folded.value}' assembled from pieces at run time`);
  }

  /**
   * Records the names child_process is bound to (`const cp = require(…)`,
   * `const { exec } = require(…)`) and a direct `require(…).exec(…)` call.
   */
  private bindChildProcess(requireToken: number, close: number): void {
    if (this.isPunct(requireToken - 1, ASSIGN)) {
      if (this.isIdent(requireToken - 2)) this.childProcessNames.add(this.text(requireToken - 2));
      else if (this.isPunct(requireToken - 2, RBRACE)) {
        for (let j = requireToken - 3, steps = 0; j >= 0 && steps < 60 && !this.isPunct(j, LBRACE); j--, steps++) {
          if (this.isIdent(j)) this.childProcessNames.add(this.text(j));
        }
      }
    }
    if (this.isDot(close + 1) && this.isIdent(close + 2) && this.isPunct(close + 3, LPAREN)) {
      this.sinks.push({ paren: close + 3, name: this.text(close + 2), object: null });
      this.childProcessNames.add(this.text(close + 2));
    }
  }

  private moduleSpecifier(spec: string, offset: number, detail: string): void {
    const key = jsModuleKey(spec);
    const cap = jsModuleCapabilities.get(key);
    if (cap) {
      this.out.add(cap, key, offset, detail);
    }
    if (spec.startsWith('http://') || spec.startsWith('https://')) {
      this.signals.length = 0;
      stringSignals(spec, this.signals);
      this.out.addSignals(this.signals, offset);
      this.out.add('dynamic-code', 'remote-import', offset, `loads code from ${spec}`);
    }
  }

  private stringToken(i: number): void {
    const t = this.t;
    const rawLen = t.end[i]! - t.start[i]!;
    if (rawLen < 4) {
      if (rawLen >= 3 && this.src.startsWith('PUT', t.start[i]! + 1)) this.sawPut = true;
      return;
    }
    // Module specifiers were handled with their import.
    if (this.isPunct(i - 1, LPAREN) && (this.isIdent(i - 2, 'require') || this.isIdent(i - 2, 'import'))) return;
    if (this.isIdent(i - 1, 'from') || this.isIdent(i - 1, 'import')) return;
    const value = stringValue(this.src, t, i);
    if (this.table !== null && value.length <= 64) this.table.add(value);
    if (t.value[i] === 1 && /^(?:\\x[0-9a-fA-F]{2}){4,}$/.test(this.src.slice(t.start[i]! + 1, t.end[i]! - 1))) this.escapedStrings++;
    if (value === 'PUT') this.sawPut = true;
    if (value.includes('registry.npmjs.org') || value.includes('registry.yarnpkg.com')) this.sawRegistry = true;
    if (value === 'child_process' || value === 'node:child_process') {
      this.out.add('spawn', 'child_process', t.start[i]!, `'child_process'`);
    }
    if (rawLen >= 8 && (value.includes('nohup') || value.includes('/B') || value.includes('setsid') || value.includes('disown') || value.includes('-WindowStyle')) && backgroundCommand.test(value)) {
      this.out.add('detached-spawn', 'background-command', t.start[i]!, 'runs a command in the background, detached from the installer');
    }
    if (rawLen >= 1024 && isEncodedBlob(value)) {
      this.out.add('obfuscation', 'encoded-blob', t.start[i]!, `a ${value.length}-character encoded blob`);
    }
    this.signals.length = 0;
    // Only a string that starts with a digit can be a bare address, so only it needs its position.
    const first = value.charCodeAt(0);
    stringSignals(value, this.signals, first >= 48 && first <= 57 && value.length <= 21 && this.inHostPosition(i));
    if (this.signals.length > 0) {
      this.out.addSignals(this.signals, t.start[i]!, {}, t.end[i]);
      this.noteSignals(t.start[i]!, i);
    }
    // 'chi' + 'ld_process', or a const later used as a module name.
    if (t.type[i] === T_STRING && this.isPunct(i + 1, PLUS) && this.isString(i + 2) && !this.isPunct(i - 1, PLUS)) {
      const folded = foldExpressionAt(this.src, t.start[i]!, this.consts);
      if (folded) {
        this.foldedString(folded.value, t.start[i]!, true);
        if (this.isPunct(i - 1, ASSIGN) && this.isIdent(i - 2)) this.consts.set(this.text(i - 2), folded.value);
      }
    } else if (this.isPunct(i - 1, ASSIGN) && this.isIdent(i - 2) && (this.isPunct(i + 1, SEMI) || this.isPunct(i + 1, COMMA))) {
      this.consts.set(this.text(i - 2), value);
    }
  }

  /**
   * Whether the string at token `i` stands where a host does: `host: '…'`, `x.host = '…'`, or
   * the first argument of a connect/request/lookup call.
   */
  private inHostPosition(i: number): boolean {
    const key = this.isPunct(i - 1, COLON) || this.isPunct(i - 1, ASSIGN) ? i - 2 : -1;
    if (key >= 0 && (this.isIdent(key) || this.isString(key))) {
      const name = this.isIdent(key) ? this.text(key) : stringValue(this.src, this.t, key);
      if (hostKeys.test(name)) return true;
    }
    return this.isPunct(i - 1, LPAREN) && this.isIdent(i - 2) && hostCalls.has(this.text(i - 2));
  }

  /** Remembers where hosts and credential paths were named (token -1: inside a decoded string). */
  private noteSignals(offset: number, token: number): void {
    for (const s of this.signals) {
      if (s.kind === 'endpoint') this.endpointsAt.push({ offset, host: s.key });
      else if (s.kind === 'secret' && token >= 0) this.secretSources.push({ token, key: s.key, what: s.key });
    }
  }

  private punct(i: number): void {
    const v = this.t.value[i]!;
    if (v === ASSIGN) this.assignment(i);
    else if (v === LBRACK) this.computedMember(i);
    else if (v === BANG && this.isPunct(i + 1, BANG) && this.isPunct(i + 2, LBRACK) && this.isPunct(i + 3, RBRACK)) this.bangArrays++;
  }

  /** `obj['ev' + 'al']`, `globalThis['fetch']`: a member read through a computed name. */
  private computedMember(i: number): void {
    if (!(this.isIdent(i - 1) || this.isPunct(i - 1, RPAREN) || this.isPunct(i - 1, RBRACK))) return;
    if (!this.isPunct(i + 2, RBRACK) && !(this.t.type[i + 1] === T_STRING && this.isPunct(i + 2, PLUS))) return;
    if (!this.isString(i + 1)) return;
    let name: string;
    let assembled = false;
    if (this.isPunct(i + 2, RBRACK)) name = stringValue(this.src, this.t, i + 1);
    else {
      const folded = foldExpressionAt(this.src, this.t.start[i + 1]!, this.consts);
      if (!folded) return;
      name = folded.value;
      assembled = folded.assembled;
    }
    const offset = this.t.start[i]!;
    const object = this.isIdent(i - 1) ? this.text(i - 1) : null;
    const viaGlobal = object !== null && globalObjects.has(object);
    if (assembled) this.foldedString(name, offset, true);
    const close = this.t.match[i]!;
    const called = close > 0 && this.isPunct(close + 1, LPAREN);
    const globalCap = jsGlobalCapabilities.get(name);
    if (globalCap && (viaGlobal || assembled)) {
      this.out.add(globalCap, name, offset, `${object ?? '…'}['${name}']`);
      if (called && (name === 'eval' || name === 'Function')) this.sinks.push({ paren: close + 1, name });
    }
    const memberCap = jsMemberCapabilities.get(name);
    if (memberCap) this.out.add(memberCap, name, offset, `['${name}']`);
    if (object === 'process' && (name === 'binding' || name === '_linkedBinding')) {
      this.out.add('dynamic-code', 'process.binding(?)', offset, `process['${name}']`);
    }
    if (name === 'require' && called) this.moduleCall(close + 1, 'require');
    if (spawnMethods.has(name) && called) this.sinks.push({ paren: close + 1, name, object: object ?? '?' });
  }

  /** `window.fetch = …`, `XMLHttpRequest.prototype.open = …`, `window.ethereum.request = …`. */
  private assignment(i: number): void {
    // Walk the member chain by token index first; most assignments (`x = …`, `this.y = …`) can
    // be dismissed from their first name without building the chain's strings.
    const at = this.chainTokens;
    let count = 0;
    let j = i - 1;
    for (let steps = 0; steps < 6 && j >= 0; steps++) {
      if (this.isIdent(j)) {
        at[count++] = j;
        j--;
      } else if (this.isPunct(j, RBRACK) && this.isString(j - 1) && this.isPunct(j - 2, LBRACK)) {
        at[count++] = j - 1;
        j -= 3;
      } else break;
      if (this.isDot(j)) j--;
      else break;
    }
    if (count === 0) return;
    const element = (k: number) => (this.t.type[at[k]!] === T_IDENT ? this.text(at[k]!) : stringValue(this.src, this.t, at[k]!));
    // hookTarget() only answers for chains whose first name after a global object is one of these.
    const first = element(count - 1);
    const lead = globalObjects.has(first) ? (count > 1 ? element(count - 2) : null) : first;
    if (lead === null || !hookLeads.has(lead)) return;
    const chain: string[] = [];
    for (let k = count - 1; k >= 0; k--) chain.push(element(k));
    if (chain.length === 1 && (this.isIdent(j, 'var') || this.isIdent(j, 'let') || this.isIdent(j, 'const') || (this.isPunct(j, COMMA) && this.inDeclarationList(j)))) return;
    if (chain.length === 1 && chain[0] !== 'fetch' && chain[0] !== 'XMLHttpRequest') return;
    const hook = hookTarget(chain);
    if (hook) this.out.add('browser-hook', hook, this.t.start[i]!, `overrides ${chain.join('.')}`);
  }

  /** Whether the comma at token `comma` separates declarators of a `var`/`let`/`const` statement. */
  private inDeclarationList(comma: number): boolean {
    let depth = 0;
    for (let k = comma - 1, steps = 0; k >= 0 && steps < 2000; k--, steps++) {
      if (this.t.type[k] === T_PUNCT) {
        const v = this.t.value[k]!;
        if (v === RPAREN || v === RBRACK || v === RBRACE) depth++;
        else if (v === LPAREN || v === LBRACK || v === LBRACE) {
          if (depth === 0) return false;
          depth--;
        } else if (v === SEMI && depth === 0) return false;
      } else if (depth === 0 && (this.isIdent(k, 'var') || this.isIdent(k, 'let') || this.isIdent(k, 'const'))) return true;
    }
    return false;
  }

  private finish(): void {
    const { t, out } = this;
    if (t.hexNames >= 8) out.add('obfuscation', '_0x-names', t.firstHexName, `${t.hexNames} javascript-obfuscator style \`_0x…\` names`);
    if (this.bangArrays >= 3) out.add('obfuscation', '!![]-booleans', t.start[0] ?? 0, `${this.bangArrays} \`!![]\` boolean coercions typical of obfuscators`);
    if (this.escapedStrings >= 10) out.add('obfuscation', 'hex-escaped-strings', t.start[0] ?? 0, `${this.escapedStrings} strings written entirely as \\x escapes`);
    if (t.hiddenAfterWhitespace.length > 0) {
      out.add('obfuscation', 'hidden-after-whitespace', t.hiddenAfterWhitespace[0]!, 'code pushed off-screen after a long run of spaces');
    }
    if (this.src.includes('function(p,a,c,k,e,')) out.add('obfuscation', 'packer', this.src.indexOf('function(p,a,c,k,e,'), 'a p,a,c,k,e,d packer');
    if (this.sawPut && this.sawRegistry) out.add('self-publish', 'registry PUT', 0, 'a PUT request to the npm registry');
    this.decodeExec();
    if (this.table !== null) readStringTable(this.table, out, t.firstHexName);
    this.tempExec();
    if (this.chmodExec >= 0 && out.has('network') && (out.has('spawn') || this.sinks.some((k) => k.object !== undefined))) {
      out.add('detached-spawn', 'download-exec', this.chmodExec, 'marks a file executable in code that downloads and runs processes (download, chmod, run)');
    }
    findJsExfiltration(this.src, t, this.secretSources, this.endpointsAt, this.childProcessNames, out);
  }

  /** A child_process call that runs something from the temp directory. */
  private tempExec(): void {
    for (const sink of this.sinks) {
      if (sink.object === undefined) continue;
      const bound = sink.object === null ? this.childProcessNames.has(sink.name) : this.childProcessNames.has(sink.object);
      if (!bound) continue;
      const close = this.t.match[sink.paren]!;
      for (let j = sink.paren + 1; j < close && j < sink.paren + 80; j++) {
        const temp = this.isIdent(j, 'tmpdir') || (this.isString(j) && /^(?:\/tmp\/|\/var\/tmp\/|%TEMP%|%TMP%)|\\Temp\\/i.test(stringValue(this.src, this.t, j)));
        if (temp) {
          this.out.add('detached-spawn', 'temp-exec', this.t.start[sink.paren - 1]!, `${sink.name}() runs a program from the temp directory`);
          return;
        }
      }
    }
  }

  /** A sink (eval, Function, vm, _compile, child_process) whose argument carries decoded data. */
  private decodeExec(): void {
    if (this.sinks.length === 0 || this.decodeSources.length === 0) return;
    const tainted = this.taintedNames();
    for (const sink of this.sinks) {
      if (sink.object !== undefined) {
        const bound = sink.object === null ? this.childProcessNames.has(sink.name) : this.childProcessNames.has(sink.object);
        if (!bound) continue;
      }
      const close = this.t.match[sink.paren]!;
      if (close < 0) continue;
      const source = this.decodeIn(sink.paren + 1, close, tainted, sink.paren);
      if (source) {
        this.out.add('decode-exec', 'decode-exec', this.t.start[sink.paren - 1] ?? 0, `${sink.name}() runs data decoded with ${source}`);
        return;
      }
    }
  }

  /**
   * Names bound to decoded data: walking back from each decoding call to the start of its
   * statement finds `name = …` (tainted near that point) or a `function name(…) { return … }`
   * helper (tainted everywhere).
   */
  private taintedNames(): Map<string, number> {
    const tainted = new Map<string, number>();
    for (const p of this.decodeSources) {
      for (let j = p - 1, steps = 0; j > 0 && steps < 300; j--, steps++) {
        if (this.t.type[j] !== T_PUNCT && !this.isIdent(j, 'return')) continue;
        const v = this.t.value[j]!;
        if (this.isIdent(j, 'return')) {
          const fn = this.enclosingFunctionName(j);
          if (fn) tainted.set(fn, -1);
          break;
        }
        // `x = decode(…)` and `out += String.fromCharCode(… ^ …)` (an XOR loop building a stage).
        if ((v === ASSIGN || v === P_COMPOUND_ASSIGN) && this.isIdent(j - 1) && !this.isDot(j - 2)) {
          tainted.set(this.text(j - 1), j);
          break;
        }
        if (v === SEMI || v === LBRACE || v === RBRACE) break;
      }
    }
    // A helper that builds decoded data in a local and returns it (`let out = ''; … out +=
    // String.fromCharCode(…); return out;`) is a decoder wherever it is called.
    for (const [name, at] of [...tainted]) {
      if (at < 0) continue;
      for (let j = at, steps = 0; j < this.t.count && steps < 600; j++, steps++) {
        if (this.isIdent(j, 'return') && this.isIdent(j + 1, name)) {
          const fn = this.enclosingFunctionName(j);
          if (fn) tainted.set(fn, -1);
          break;
        }
      }
    }
    return tainted;
  }

  /** The right-hand side of the nearest `name = …` before token `before`, as a token range. */
  private bindingOf(name: string, before: number): [number, number] | null {
    for (let k = before - 1, steps = 0; k > 0 && steps < 2000; k--, steps++) {
      if (!(this.isPunct(k, ASSIGN) && this.isIdent(k - 1, name) && !this.isDot(k - 2))) continue;
      let depth = 0;
      for (let e = k + 1, s2 = 0; e < this.t.count && s2 < 300; e++, s2++) {
        if (this.t.type[e] !== T_PUNCT) continue;
        const v = this.t.value[e]!;
        if (v === LPAREN || v === LBRACK || v === LBRACE) depth++;
        else if (v === RPAREN || v === RBRACK || v === RBRACE) {
          if (--depth < 0) return [k + 1, e];
        } else if (depth === 0 && (v === SEMI || v === COMMA)) return [k + 1, e];
      }
      return null;
    }
    return null;
  }

  private enclosingFunctionName(from: number): string | null {
    let depth = 0;
    for (let j = from - 1, steps = 0; j > 0 && steps < 400; j--, steps++) {
      if (this.t.type[j] !== T_PUNCT) continue;
      const v = this.t.value[j]!;
      if (v === RBRACE) depth++;
      else if (v === LBRACE) {
        if (depth > 0) {
          depth--;
          continue;
        }
        if (!this.isPunct(j - 1, RPAREN)) return null;
        for (let k = j - 2, s = 0; k >= 0 && s < 100; k--, s++) {
          if (this.isPunct(k, LPAREN) && this.t.match[k] === j - 1) {
            return this.isIdent(k - 1) && this.isIdent(k - 2, 'function') ? this.text(k - 1) : null;
          }
        }
        return null;
      }
    }
    return null;
  }

  /** The decoding found between token indexes [from, to), if any. */
  private decodeIn(from: number, to: number, tainted: ReadonlyMap<string, number>, at: number, depth = 0): string | null {
    let xor = false;
    let charCodeAt = false;
    for (let j = from; j < to; j++) {
      const type = this.t.type[j];
      if (type === T_IDENT) {
        const name = this.text(j);
        if (decodeCalls.has(name)) return name === 'fromCharCode' ? 'String.fromCharCode' : name;
        if (name === 'from' && this.isIdent(j - 2, 'Buffer') && this.isPunct(j + 1, LPAREN)) {
          const close = this.t.match[j + 1]!;
          for (let k = j + 2; k < close; k++) {
            if (this.isString(k)) {
              const enc = stringValue(this.src, this.t, k);
              if (enc === 'base64' || enc === 'hex' || enc === 'base64url') return `Buffer.from(…, '${enc}')`;
            }
          }
        }
        if (name === 'charCodeAt') charCodeAt = true;
        const boundAt = tainted.get(name);
        // A name bound to decoded data counts near its binding (names repeat across scopes in bundles).
        // Minifiers reuse one-letter names in every scope: those count only very near their binding.
        const window = name.length === 1 ? 200 : 3000;
        if (boundAt !== undefined && !this.isDot(j - 1) && (boundAt < 0 || (boundAt < at && at - boundAt < window))) {
          return `decoded data in \`${name}\``;
        }
        // One or two steps back through plain bindings: `code = Buffer.concat([decipher.update(b)…])`.
        if (boundAt === undefined && depth < 2 && !this.isDot(j - 1) && !this.isPunct(j + 1, LPAREN)) {
          const rhs = this.bindingOf(name, j);
          if (rhs) {
            const inner = this.decodeIn(rhs[0], rhs[1], tainted, rhs[0], depth + 1);
            if (inner) return `${inner} (through \`${name}\`)`;
          }
        }
      } else if (type === T_PUNCT && this.t.value[j] === CARET) xor = true;
    }
    return xor && charCodeAt ? 'an XOR loop' : null;
  }
}

/**
 * What an obfuscated file's string table says it touches, read statically (never run): the
 * literals as written, and each also decoded the way javascript-obfuscator's `base64` string
 * encoding does (its alphabet is standard base64 with the cases swapped).
 */
function readStringTable(table: ReadonlySet<string>, out: CapabilityCollector, offset: number): void {
  const names = new Set(table);
  for (const value of table) {
    if (value.length < 4 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) continue;
    for (const text of [value, swapCase(value)]) {
      const decoded = Buffer.from(text, 'base64').toString('utf8');
      if (decoded.length > 0 && /^[\x20-\x7e]+$/.test(decoded)) names.add(decoded);
    }
  }
  const has = (...any: string[]) => any.some((n) => names.has(n));
  if (has('XMLHttpRequest') && has('prototype') && has('open', 'send')) out.add('browser-hook', 'XMLHttpRequest', offset, 'hooks XMLHttpRequest.prototype.open/send (named in its obfuscated string table)');
  if (has('ethereum')) out.add('browser-hook', 'window.ethereum', offset, 'reaches window.ethereum (named in its obfuscated string table)');
  if (has('fetch') && has('window', 'globalThis', 'self')) out.add('browser-hook', 'fetch', offset, 'reaches window.fetch (named in its obfuscated string table)');
  if (has('Function', 'eval') && has('atob', 'base64', 'fromCharCode', 'charCodeAt')) {
    out.add('decode-exec', 'decode-exec', offset, 'its obfuscated string table names a decoder and eval/Function, a decoded stage run at load');
  }
}

function swapCase(s: string): string {
  let out = '';
  for (const c of s) out += c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
  return out;
}

/** The names a chain must start with (after a global object) for hookTarget() to answer. */
const hookLeads = new Set(['ethereum', 'solana', 'phantom', 'fetch', 'XMLHttpRequest', 'WebSocket', 'navigator']);

/** Which browser API a member chain overrides, if any. */
function hookTarget(chain: string[]): string | null {
  const names = globalObjects.has(chain[0]!) ? chain.slice(1) : chain;
  if (names.length === 0) return null;
  if (names[0] === 'ethereum' || names[0] === 'solana' || names[0] === 'phantom') return `window.${names[0]}`;
  if (names[0] === 'fetch' && names.length === 1) return 'fetch';
  if (names[0] === 'XMLHttpRequest' && (names.length === 1 || names[1] === 'prototype')) return 'XMLHttpRequest';
  if (names[0] === 'WebSocket' && (names.length === 1 || names[1] === 'prototype')) return 'WebSocket';
  if (names[0] === 'navigator' && names[1] === 'sendBeacon') return 'navigator.sendBeacon';
  return null;
}
