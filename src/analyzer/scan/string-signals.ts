import type { CapabilityKind } from '../file-profile.js';

/** A capability suggested by the content of one string literal (or a folded/decoded string). */
export interface StringSignal {
  kind: CapabilityKind;
  key: string;
  detail: string;
  risk?: string;
}

/** Hosts that appear in code for reasons other than talking to them (XML namespaces, docs, placeholders). */
const quietHosts = new Set([
  'localhost', '127.0.0.1', '0.0.0.0', '::1', 'www.w3.org', 'w3.org', 'schema.org', 'json-schema.org', 'purl.org',
  'xmlns.com', 'ns.adobe.com', 'www.apache.org', 'apache.org', 'opensource.org', 'creativecommons.org',
  'github.com', 'www.github.com', 'npmjs.com', 'www.npmjs.com', 'npmjs.org', 'nodejs.org', 'developer.mozilla.org',
  'docs.python.org', 'www.python.org', 'python.org', 'peps.python.org', 'mozilla.org', 'www.mozilla.org',
  'stackoverflow.com', 'en.wikipedia.org', 'tools.ietf.org', 'datatracker.ietf.org', 'www.rfc-editor.org',
  'www.unicode.org', 'unicode.org', 'semver.org', 'spdx.org', 'www.ecma-international.org', 'tc39.es',
  'docs.npmjs.com', 'yarnpkg.com', 'typescriptlang.org', 'www.typescriptlang.org', 'aka.ms',
  'readthedocs.io', 'readthedocs.org', 'docs.github.com', 'gnu.org', 'www.gnu.org', 'jquery.org', 'jsdoc.app',
]);
const quietSuffixes = ['.example', '.test', '.localhost', '.example.com', '.example.org', '.example.net', '.readthedocs.io', '.w3.org'];
const quietExact = new Set(['example.com', 'example.org', 'example.net']);

/** Services used to receive stolen data or serve second stages: webhooks, paste sites, tunnels, OAST. */
const exfilHosts: Array<[RegExp, string]> = [
  [/(^|\.)webhook\.site$/, 'webhook collector'],
  [/(^|\.)pipedream\.net$/, 'webhook collector'],
  [/(^|\.)requestbin\.(com|net|io)$/, 'webhook collector'],
  [/(^|\.)hookbin\.com$/, 'webhook collector'],
  [/(^|\.)beeceptor\.com$/, 'webhook collector'],
  [/(^|\.)requestcatcher\.com$/, 'webhook collector'],
  [/(^|\.)hooks\.slack\.com$/, 'webhook'],
  [/^(discord|discordapp|canary\.discord|ptb\.discord)\.com$/, 'Discord'],
  [/^api\.telegram\.org$/, 'Telegram bot API'],
  [/(^|\.)(pastebin\.com|paste\.ee|hastebin\.com|ghostbin\.\w+|rentry\.co|pastie\.org|dpaste\.\w+|controlc\.com)$/, 'paste site'],
  [/(^|\.)(transfer\.sh|file\.io|0x0\.st|temp\.sh|gofile\.io|anonfiles\.com)$/, 'file drop'],
  [/(^|\.)(ngrok\.io|ngrok-free\.app|ngrok\.app|ngrok\.dev|trycloudflare\.com|loca\.lt|localtunnel\.me|serveo\.net|localhost\.run|pinggy\.link|bore\.pub)$/, 'tunnel'],
  [/(^|\.)(burpcollaborator\.net|oastify\.com|interact\.sh|oast\.(fun|pro|live|site|online|me)|canarytokens\.com|dnslog\.cn|ceye\.io)$/, 'out-of-band collector'],
];

/** TLDs we accept for bare host names (no scheme), so `setup.py` or `index.js` are not hosts. */
const bareTlds = new Set([
  'com', 'net', 'org', 'io', 'co', 'xyz', 'info', 'ru', 'cn', 'top', 'site', 'online', 'me', 'dev', 'app', 'cc', 'tk',
  'ml', 'ga', 'cf', 'gq', 'pw', 'biz', 'us', 'uk', 'de', 'su', 'live', 'pro', 'fun', 'shop', 'store', 'tech', 'cloud',
  'link', 'click', 'invalid', 'onion', 'ir', 'kp', 'ws', 'icu', 'buzz', 'monster', 'rest', 'lol', 'sbs', 'cyou', 'zip',
]);

const urlPattern = /\b(?:https?|wss?|ftp):\/\/(?:[^\s/@'"`]*@)?(\[[0-9a-f:]+\]|[^\s/:'"`?#<>\\$]+)/gi;
const bareHostPattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,12})(?::\d{2,5})?$/i;
const ipPattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const bareIpPattern = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?::\d{2,5})?$/;

const secretPatterns: Array<[RegExp, string]> = [
  [/(^|[/\\~'"]|^)\.ssh([/\\]|$)|\bid_(rsa|dsa|ecdsa|ed25519)\b/, '~/.ssh'],
  [/(^|[/\\])\.aws([/\\]|$)|\.aws[/\\]credentials/, '~/.aws'],
  [/(^|[/\\])\.npmrc$|\.npmrc\b/, '~/.npmrc'],
  [/\.pypirc\b/, '~/.pypirc'],
  [/(^|[/\\])\.kube([/\\]config|$)/, '~/.kube/config'],
  [/(^|[/\\])\.docker[/\\]config\.json|^\.docker$/, '~/.docker/config.json'],
  [/(^|[/\\])\.gnupg([/\\]|$)/, '~/.gnupg'],
  [/(^|[/\\])\.(netrc|git-credentials)$/, '~/.netrc or ~/.git-credentials'],
  [/\.config[/\\]gcloud|application_default_credentials\.json/, 'gcloud credentials'],
  [/(^|[/\\])\.azure([/\\]|$)/, '~/.azure'],
  [/\bgh\s+auth\s+token\b/, '`gh auth token`'],
  [/\bgcloud\s+auth\s+print-access-token\b|\baz\s+account\s+get-access-token\b|\baws\s+configure\s+export-credentials\b/, 'cloud CLI token'],
  [/\bsecurity\s+find-(generic|internet)-password\b/, 'macOS keychain'],
  [/\btrufflehog\b/i, 'trufflehog secret scanner'],
  [/\b169\.254\.169\.254\b|\bmetadata\.google\.internal\b|\b169\.254\.170\.2\b|\b100\.100\.100\.200\b/, 'cloud instance metadata'],
  [/\/proc\/(self|\d+)\/environ\b/, '/proc/*/environ'],
  [/\bwallet\.dat\b|nkbihfbeogaeaoehlefnkodbefgpgknn|Local Extension Settings/, 'crypto wallet data'],
  [/\b(Login Data|Cookies)$|\bkey4\.db\b|\blogins\.json\b/, 'browser credential store'],
];

const publishPatterns: Array<[RegExp, string]> = [
  [/\b(?:npm|pnpm|yarn(?:\s+npm)?)\s+(?:--?[\w-]+(?:[= ][\w.@/-]+)?\s+)*publish\b/, 'npm publish'],
  [/\btwine\s+upload\b|\btwine\.commands\.upload\b/, 'twine upload'],
  [/upload\.pypi\.org\/legacy/, 'PyPI upload endpoint'],
  [/\/-\/npm\/v1\/tokens\b/, 'npm token API'],
];

const persistencePatterns: Array<[RegExp, string]> = [
  [/\.github[/\\]workflows\b/, 'CI workflow'],
  [/(^|[/\\~])\.(bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|profile|cshrc|tcshrc)$|(^|[/\\~])\.(bashrc|zshrc|bash_profile)\b/, 'shell rc file'],
  [/\bcrontab\b|\/etc\/cron|\/var\/spool\/cron/, 'cron'],
  [/systemd[/\\](system|user)\b|\.config[/\\]systemd\b|\bsystemctl\s+(--user\s+)?enable\b/, 'systemd unit'],
  [/\bLaunch(Agents|Daemons)\b/, 'launchd job'],
  [/CurrentVersion\\+Run\b|\bschtasks\b|Start Menu\\+Programs\\+Startup/i, 'Windows autostart'],
  [/\.config[/\\]autostart\b|\/etc\/rc\.local\b|\/etc\/init\.d\b/, 'autostart entry'],
  [/(^|[/\\])authorized_keys$|\.ssh[/\\]authorized_keys/, 'SSH authorized_keys'],
  [/\bactions-runner\b|\bconfig\.(?:sh|cmd)\s+--url\b|\bgitlab-runner\s+register\b|\/actions\/runners\/registration-token\b/, 'CI runner registration'],
];

/** Cheap gate: a string without any of these characters or words cannot name an endpoint. */
const gate = /[./\\:]|publish|upload|crontab|schtasks|trufflehog|auth|token|password|Launch|environ|Login Data|Cookies|systemctl/;

/**
 * One pre-check for the thirty secret, publish and persistence patterns above. Every match of every one of them
 * contains a match of one of these alternatives (each is a pattern, or a piece of one, with its \b and anchors
 * dropped), so a string that fails both cannot match any of them and skips them all; one that passes runs all
 * thirty as before. The case-insensitive patterns (trufflehog, Windows autostart) have theirs in the /i one.
 * Keep in step with the patterns: a new or changed pattern needs an alternative here that every match contains.
 */
const patternHint =
  /\.ssh|id_(?:rsa|dsa|ecdsa|ed25519)|\.aws|\.npmrc|\.pypirc|\.kube|\.docker|\.gnupg|\.netrc|\.git-credentials|\.config[/\\]|application_default_credentials|\.azure|gh\s+auth\s+token|gcloud\s+auth\s+print-access-token|az\s+account\s+get-access-token|aws\s+configure\s+export-credentials|find-(?:generic|internet)-password|169\.254\.1|metadata\.google\.internal|100\.100\.100\.200|\/proc\/|wallet\.dat|nkbihfbeogaeaoehlefnkodbefgpgknn|Local Extension Settings|(?:Login Data|Cookies)$|key4\.db|logins\.json|\spublish|twine|upload\.pypi\.org|\/-\/npm\/v1\/tokens|\.github[/\\]workflows|\.bash(?:rc|_profile|_login)|\.zsh(?:rc|env)|\.zprofile|\.profile|cshrc|crontab|\/etc\/|\/var\/spool\/cron|systemd[/\\](?:system|user)|systemctl|Launch(?:Agents|Daemons)|authorized_keys|actions-runner|config\.(?:sh|cmd)\s+--url|gitlab-runner|registration-token/;
const patternHintCi = /trufflehog|currentversion\\+run|schtasks|start menu\\+programs\\+startup/i;

/** A whole string that is four dotted numbers (maybe with a port): an address only where a host stands. */
export const bareIpString = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{2,5})?$/;

/**
 * Signals carried by one string: endpoints, secret locations, self-publishing, persistence.
 * `hostPosition` says whether the string stands where a host does (a connect/request/DNS
 * argument, a `host` option); a bare dotted quad elsewhere is an object identifier or a
 * version (`case "1.3.101.112": return "EdDSA"`), not an endpoint.
 */
export function stringSignals(value: string, out: StringSignal[], hostPosition = false): void {
  if (value.length < 4 || value.length > 100_000) return;
  // The gate only speaks for endpoints: `id_rsa`, `TruffleHog` or a wallet extension id carry none of
  // its characters or words, yet are secret signals, so the patterns below are checked regardless.
  if (gate.test(value) && (hostPosition || !bareIpString.test(value.trim()))) endpointSignals(value, out);
  if (!patternHint.test(value) && !patternHintCi.test(value)) return;
  for (const [re, key] of secretPatterns) if (re.test(value)) out.push({ kind: 'secret', key, detail: `reads ${key}` });
  for (const [re, key] of publishPatterns) if (re.test(value)) out.push({ kind: 'self-publish', key, detail: key });
  for (const [re, key] of persistencePatterns) if (re.test(value)) out.push({ kind: 'persistence', key, detail: `writes a ${key}` });
}

function endpointSignals(value: string, out: StringSignal[]): void {
  if (value.includes('://')) {
    urlPattern.lastIndex = 0;
    for (let m = urlPattern.exec(value); m; m = urlPattern.exec(value)) {
      const host = (m[1] ?? '').toLowerCase().replace(/\.$/, '');
      if (/^[a-z0-9.-]+$|^\[[0-9a-f:]+\]$/.test(host)) addHost(host, out);
    }
    return;
  }
  const bare = value.trim();
  const ip = bareIpPattern.exec(bare);
  if (ip?.[1]) return addHost(ip[1], out);
  const named = bareHostPattern.exec(bare);
  if (named?.[1] && bareTlds.has(named[1].toLowerCase())) {
    addHost(bare.toLowerCase().replace(/:\d+$/, ''), out);
    return;
  }
  // Exfiltration services named without a scheme, inside a longer string (`curl webhook.site/x`).
  const embedded = /\b([a-z0-9.-]+\.(?:site|net|com|io|sh|app|lt|co|org|me|pub|link|run))\b/gi;
  for (let m = embedded.exec(bare); m; m = embedded.exec(bare)) {
    const host = (m[1] ?? '').toLowerCase();
    if (exfilHosts.some(([re]) => re.test(host))) addHost(host, out);
  }
}

function addHost(host: string, out: StringSignal[]): void {
  if (isQuietHost(host)) return;
  const risk = hostRisk(host);
  out.push({ kind: 'endpoint', key: host, detail: `contacts ${host}`, ...(risk ? { risk } : {}) });
}

function isQuietHost(host: string): boolean {
  if (quietHosts.has(host) || quietExact.has(host)) return true;
  if (host === '[::1]' || host === '[::]') return true;
  if (quietSuffixes.some((s) => host.endsWith(s))) return true;
  const ip = ipPattern.exec(host);
  if (ip) {
    const parts = ip.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return true;
    if (parts[0] === 127 || parts[0] === 0) return true;
  }
  return false;
}

function hostRisk(host: string): string | undefined {
  if (ipPattern.test(host) || host.startsWith('[')) return 'raw IP address';
  for (const [re, label] of exfilHosts) if (re.test(host)) return label;
  return undefined;
}
