/** What a capability lets code do; rules compare these between baseline and candidate. */
export type CapabilityKind =
  | 'network'
  | 'spawn'
  | 'dynamic-code'
  | 'decode-exec'
  | 'endpoint'
  | 'secret'
  | 'obfuscation'
  | 'browser-hook'
  | 'self-publish'
  | 'persistence'
  /** Detached or background process starts, runs from temp directories, download-chmod-run. */
  | 'detached-spawn';

export type Language = 'js' | 'python' | 'shell';

export interface Capability {
  kind: CapabilityKind;
  /** What exactly: a module (`child_process`), a host (`evil.invalid`), a signal (`_0x-names`). */
  key: string;
  line: number;
  /** Short human phrase used in messages, e.g. `require('child_process')`. */
  detail: string;
  evidence: string;
  /** Python only: found outside any def/class body (runs when the file is imported or executed). */
  topLevel?: boolean;
  /** Endpoints only: why the host is high-risk (`raw IP address`, `paste site`…). */
  risk?: string;
}

/** Everything the analyzer learned from one file's content; cached by language and sha256. */
export interface FileProfile {
  language: Language;
  /** True when the file could not be tokenized cleanly and a tolerant scan was used. */
  tolerant: boolean;
  capabilities: Capability[];
}
