import type { CapabilityCollector } from './capability-collector.js';
import type { StringSignal } from './string-signals.js';

/** Environment variables that hold credentials. */
const credentialVariable = /^(?:NPM_TOKEN|GITHUB_TOKEN|GH_TOKEN|AWS_[A-Z0-9_]+|PYPI_[A-Z0-9_]+|TWINE_PASSWORD|[A-Z0-9_]*_(?:TOKEN|SECRET|SECRET_KEY|PASSWORD|API_KEY|ACCESS_KEY|PRIVATE_KEY))$/;
const namedVariable = /\bos\.(?:environ\s*\[\s*|environ\.get\(\s*|getenv\(\s*)(['"])([A-Z0-9_]+)\1/g;
/** The whole environment: enumerated, copied, serialized, joined. `env=os.environ.copy()` (handing it to a child) is not. */
const wholeEnvironment = /(?<!env\s*=\s*)(?:\bos\.environ\.(?:items|values|copy)\(\)|\bdict\(\s*os\.environ\s*\)|\bjson\.dumps\(\s*(?:dict\(\s*)?os\.environ\b|\*\*os\.environ\b|\bfor\s+\w+(?:\s*,\s*\w+)?\s+in\s+os\.environ\b|(?<![\w.])(?:str|repr)\(\s*os\.environ\s*\))/;
const keyMaterial = /(?<![\w.'"])(private_key|secret_key|privateKey|secretKey|mnemonic|seed_phrase|passphrase|password)(?![\w'"])/;

const networkSink = /\b(?:requests|httpx|session|client)\.(?:get|post|put|patch|request)\s*\(|\burlopen\s*\(|\burllib\.request\.Request\s*\(|\.(?:sendto|sendall|connect)\s*\(|\bHTTPS?Connection\s*\(|\baiohttp\.ClientSession\b/;
const dnsSink = /\bsocket\.(?:gethostbyname(?:_ex)?|getaddrinfo)\s*\(|\bdns\.resolver\.(?:resolve|query)\s*\(|\bresolver\.(?:resolve|query)\s*\(/;
const spawnSink = /\bsubprocess\.\w+\s*\(|\bos\.(?:system|popen)\s*\(/;

interface Event {
  /** The innermost def/class block, or -1 at top level. */
  scope: number;
  line: number;
  offset: number;
}
interface Source extends Event {
  key: string;
  what: string;
  /** The line's code, to tell whether a spawn on the same line carries it. */
  code: string;
}
interface Sink extends Event {
  key: string;
  phrase: string;
  code: string;
}

/** Top-level statements this many lines apart or closer count as one piece of code. */
const topLevelWindow = 15;

/**
 * The Python side of the source→sink check: collects secret sources (the whole environment,
 * credential variables and files, key material) and outbound sinks (HTTP, sockets, DNS, process
 * spawns carrying the secret) per logical line, and reports each pair that shares a function
 * (or sits close together at top level) as a `secret` capability keyed `source→sink`.
 */
export class PythonExfiltration {
  private readonly sources: Source[] = [];
  private readonly sinks: Sink[] = [];
  private readonly endpoints: Array<Event & { host: string }> = [];

  line(code: string, offset: number, line: number, scope: number, signals: readonly StringSignal[]): void {
    if (wholeEnvironment.test(code)) this.sources.push({ scope, line, offset, key: 'environment', what: 'the whole environment', code });
    namedVariable.lastIndex = 0;
    for (let m = namedVariable.exec(code); m; m = namedVariable.exec(code)) {
      const key = m[2];
      if (key !== undefined && credentialVariable.test(key)) this.sources.push({ scope, line, offset, key, what: `os.environ['${key}']`, code });
    }
    const named = keyMaterial.exec(code);
    if (named?.[1]) this.sources.push({ scope, line, offset, key: named[1], what: `\`${named[1]}\``, code });
    for (const s of signals) {
      if (s.kind === 'secret') this.sources.push({ scope, line, offset, key: s.key, what: s.key, code });
      else if (s.kind === 'endpoint') this.endpoints.push({ scope, line, offset, host: s.key });
    }
    const net = networkSink.exec(code);
    if (net) this.sinks.push({ scope, line, offset, key: 'network', phrase: `${net[0].replace(/\s*\($/, '').replace(/^\./, '')}()`, code });
    const dns = dnsSink.exec(code);
    if (dns) this.sinks.push({ scope, line, offset, key: 'dns', phrase: `a DNS lookup (${dns[0].replace(/\s*\($/, '')})`, code });
    const spawn = spawnSink.exec(code);
    if (spawn) this.sinks.push({ scope, line, offset, key: 'spawn', phrase: `${spawn[0].replace(/\s*\($/, '')}()`, code });
  }

  finish(out: CapabilityCollector): void {
    const near = (a: Event, b: Event) => a.scope === b.scope && (a.scope !== -1 || Math.abs(a.line - b.line) <= topLevelWindow);
    const seen = new Set<string>();
    for (const source of this.sources) {
      const sink = this.sinks.find((k) => near(source, k) && (k.key !== 'spawn' || spawnCarries(k, source)));
      if (!sink || seen.has(`${source.key}\0${sink.key}`)) continue;
      seen.add(`${source.key}\0${sink.key}`);
      out.add('secret', `exfiltration: ${source.key} → ${sink.key}`, source.offset, `sends ${source.what} out through ${sink.phrase}`, { topLevel: source.scope === -1 });
      for (const e of this.endpoints) {
        if (!near(source, e)) continue;
        const cap = out.capabilities.find((c) => c.kind === 'endpoint' && c.key === e.host);
        if (cap) cap.risk = `receives ${source.what}`;
      }
    }
  }
}

/** A spawn is a sink only when the secret is read on its line (CLIs hand the environment to children). */
function spawnCarries(sink: Sink, source: Source): boolean {
  return sink.line === source.line && !/\benv\s*=\s*(?:dict\()?os\.environ/.test(sink.code);
}
