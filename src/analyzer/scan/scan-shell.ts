import type { FileProfile } from '../file-profile.js';
import { CapabilityCollector } from './capability-collector.js';
import { stringSignals, type StringSignal } from './string-signals.js';

const network = /(?:^|[\s;|&(`$])(curl|wget|nc|ncat|socat|Invoke-WebRequest|iwr|Invoke-RestMethod|irm|bitsadmin|ftp|tftp)(?=\s)|Net\.WebClient|DownloadString|DownloadFile|certutil\s+-urlcache|\/dev\/tcp\//i;
const pipeToShell = /\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b|\|\s*(?:python3?|node|perl|ruby)\b|\b(?:IEX|Invoke-Expression)\b/i;
const decodeToShell = /base64\s+(?:-d|--decode|-D)\b[^\n]*\|\s*(?:ba|z)?sh\b|-(?:enc|EncodedCommand|e)\s+[A-Za-z0-9+/=]{40,}|FromBase64String/i;

/**
 * Extracts a shell/batch/PowerShell script's capability profile. A script runs commands by
 * nature, so spawning is not recorded; downloads, piping to an interpreter and decoded commands are.
 */
export function scanShell(src: string): FileProfile {
  const out = new CapabilityCollector(src);
  const signals: StringSignal[] = [];
  let offset = 0;
  for (const raw of src.split('\n')) {
    const line = raw.replace(/^\s*(?:#|::|rem\s).*$/i, '').replace(/\s#[^'"]*$/, '');
    if (line.trim() !== '') {
      const net = network.exec(line);
      if (net) out.add('network', (net[1] ?? net[0]).toLowerCase(), offset + net.index, `runs ${net[1] ?? net[0]}`);
      if (pipeToShell.test(line) && net) out.add('dynamic-code', 'download-and-run', offset, 'pipes a download into an interpreter');
      if (decodeToShell.test(line)) out.add('decode-exec', 'decode-exec', offset, 'runs a base64-decoded command');
      if (/(?:^|[\s;|&])eval\s/.test(line)) out.add('dynamic-code', 'eval', offset, 'eval');
      if (/\b(?:printenv|env)\s*(?:$|[|>])|\bset\s*>/.test(line)) out.add('secret', 'environment dump', offset, 'dumps the whole environment');
      signals.length = 0;
      for (const word of line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []) stringSignals(word.replace(/^['"]|['"]$/g, ''), signals, true);
      stringSignals(line.trim(), signals, true);
      out.addSignals(signals, offset);
    }
    offset += raw.length + 1;
  }
  return { language: 'shell', tolerant: false, capabilities: out.capabilities };
}
