import type { CapabilityCollector } from './capability-collector.js';
import * as lexer from './js-lexer.js';
import type { JsTokens } from './js-lexer.js';
import { spawnMethods } from './sensitive-names.js';

const T_IDENT: number = lexer.T_IDENT;
const T_PUNCT: number = lexer.T_PUNCT;
const P_OPTIONAL_DOT: number = lexer.P_OPTIONAL_DOT;
const DOT = 46;
const LPAREN = 40;
const LBRACE = 123;
const RBRACE = 125;
const RPAREN = 41;

/** Something sensitive the code reads: the whole environment, a credential variable or file, key material. */
export interface SecretSource {
  /** Token index where it is read. */
  token: number;
  /** `environment`, `NPM_TOKEN`, `~/.ssh`, `privateKey`… */
  key: string;
  /** Phrase for messages: `the whole environment`, `process.env.NPM_TOKEN`. */
  what: string;
}

/** A host found in the code, by offset, so an endpoint inside a leaking scope can be told apart. */
export interface EndpointAt {
  offset: number;
  host: string;
}

/** Objects whose `get`/`post`/`request` calls go out over the network. */
const netObjects = new Set(['http', 'https', 'http2', 'axios', 'got', 'needle', 'superagent', 'request', 'undici', 'ky', 'phin', 'client']);
const netMethods = new Set(['get', 'post', 'put', 'request', 'patch', 'fetch']);
const dnsMethods = new Set(['lookup', 'resolve4', 'resolve6', 'resolveTxt', 'resolveAny', 'resolveCname', 'resolveMx', 'resolveNs']);
const socketMethods = new Set(['connect', 'createConnection']);
const socketObjects = new Set(['net', 'tls', 'dgram']);

/** Scopes bigger than this (a bundle's module wrapper) are narrowed to a window around the source. */
const maxScopeTokens = 4000;
const windowTokens = 400;

/**
 * Reports, for each secret source, the outbound sink it shares a function with: a network call
 * (fetch, http(s).get/request, axios.post, XHR, WebSocket, sendBeacon), a DNS lookup, a socket,
 * or a process spawn whose arguments carry the source. Each combination is a `secret`
 * capability keyed `source→sink`, so a file that gains one in added code is reported even when
 * it used the network before. Endpoints inside such a scope are marked as receiving secrets.
 */
export function findJsExfiltration(
  src: string,
  t: JsTokens,
  sources: readonly SecretSource[],
  endpoints: readonly EndpointAt[],
  childProcessNames: ReadonlySet<string>,
  out: CapabilityCollector,
): void {
  const usesDns = out.has('network', 'dns') || out.has('network', 'dns/promises');
  if (sources.length === 0) return;
  const text = (i: number) => src.slice(t.start[i], t.end[i]);
  const isIdent = (i: number, name?: string) => i >= 0 && i < t.count && t.type[i] === T_IDENT && (name === undefined || text(i) === name);
  const isPunct = (i: number, code: number) => i >= 0 && i < t.count && t.type[i] === T_PUNCT && t.value[i] === code;
  const isDot = (i: number) => i >= 0 && t.type[i] === T_PUNCT && (t.value[i] === DOT || t.value[i] === P_OPTIONAL_DOT);
  const seen = new Set<string>();

  for (const source of sources) {
    const [from, to] = scopeOf(src, t, source.token);
    let sink: [key: string, phrase: string] | null = null;
    for (let j = from; j < to && sink === null; j++) {
      if (t.type[j] !== T_IDENT || !isPunct(j + 1, LPAREN)) continue;
      const name = text(j);
      const member = isDot(j - 1);
      const object = member && isIdent(j - 2) ? text(j - 2) : null;
      if (name === 'fetch' && (!member || object === 'window' || object === 'globalThis' || object === 'self')) sink = ['fetch', 'fetch()'];
      else if (name === 'sendBeacon') sink = ['sendBeacon', 'navigator.sendBeacon()'];
      else if ((name === 'XMLHttpRequest' || name === 'WebSocket') && isIdent(j - 1, 'new')) sink = [name, `new ${name}()`];
      else if (object !== null && netObjects.has(object) && netMethods.has(name)) sink = [`${object}.${name}`, `${object}.${name}()`];
      else if (member && (dnsMethods.has(name) || name === 'resolve') && (object === 'dns' || object === 'promises' || object === 'resolver' || (object === null && usesDns && name !== 'resolve'))) sink = ['dns', `a DNS lookup (${name})`];
      else if (object !== null && socketObjects.has(object) && (socketMethods.has(name) || name === 'createSocket')) sink = ['socket', `a socket (${object}.${name})`];
      else if (spawnMethods.has(name) && (childProcessNames.has(name) || (object !== null && childProcessNames.has(object)))) {
        // A spawn is a sink only when the secret is in its arguments (CLIs pass env to children all the time).
        const close = t.match[j + 1]!;
        if (close > source.token && j + 1 < source.token) sink = ['spawn', `${name}()`];
      }
    }
    if (sink === null) continue;
    const id = `${source.key}\0${sink[0]}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.add('secret', `exfiltration: ${source.key} → ${sink[0]}`, t.start[source.token]!, `sends ${source.what} out through ${sink[1]}`);
    const fromOffset = t.start[from] ?? 0;
    const toOffset = t.end[Math.max(from, to - 1)] ?? src.length;
    for (const e of endpoints) {
      if (e.offset < fromOffset || e.offset > toOffset) continue;
      const cap = out.capabilities.find((c) => c.kind === 'endpoint' && c.key === e.host);
      if (cap) cap.risk = `receives ${source.what}`;
    }
  }
}

const blockKeywords = new Set(['if', 'for', 'while', 'switch', 'catch', 'with']);

/**
 * Token range [from, to) of the innermost function body around `token` (object literals and
 * if/for/while blocks are looked through), bounded in size; a window around it otherwise.
 */
function scopeOf(src: string, t: JsTokens, token: number): [number, number] {
  // A parameter (`function leak(secretKey) {…}`): the scope is the body that follows.
  let parens = 0;
  for (let j = token + 1, steps = 0; j < t.count && steps < 60; j++, steps++) {
    if (t.type[j] !== T_PUNCT) continue;
    const v = t.value[j];
    if (v === LPAREN) parens++;
    else if (v === RPAREN && parens-- === 0) {
      const brace = t.type[j + 1] === T_PUNCT && t.value[j + 1] === lexer.P_ARROW ? j + 2 : j + 1;
      if (brace < t.count && t.type[brace] === T_PUNCT && t.value[brace] === LBRACE && isFunctionBody(src, t, brace) && t.match[brace]! > brace) return [brace, t.match[brace]!];
      break;
    } else if (v === LBRACE || v === RBRACE || v === 59) break;
  }
  let depth = 0;
  for (let j = token - 1, steps = 0; j >= 0 && steps < maxScopeTokens; j--, steps++) {
    if (t.type[j] !== T_PUNCT) continue;
    const v = t.value[j];
    if (v === RBRACE) depth++;
    else if (v === LBRACE) {
      if (depth > 0) {
        depth--;
        continue;
      }
      const close = t.match[j]!;
      if (close < token || close - j > maxScopeTokens) break;
      if (isFunctionBody(src, t, j)) return [j, close];
    }
  }
  return [Math.max(0, token - windowTokens), Math.min(t.count, token + windowTokens)];
}

function isFunctionBody(src: string, t: JsTokens, brace: number): boolean {
  const before = brace - 1;
  if (before < 0 || t.type[before] !== T_PUNCT) return false;
  if (t.value[before] === lexer.P_ARROW) return true;
  if (t.value[before] !== RPAREN) return false;
  for (let k = before - 1, steps = 0; k >= 0 && steps < 400; k--, steps++) {
    if (t.type[k] === T_PUNCT && t.value[k] === LPAREN && t.match[k] === before) {
      const head = k - 1;
      return !(head >= 0 && t.type[head] === T_IDENT && blockKeywords.has(src.slice(t.start[head], t.end[head])));
    }
  }
  return false;
}
