import type { Capability, CapabilityKind } from '../file-profile.js';
import { LineIndex } from './line-index.js';
import type { StringSignal } from './string-signals.js';

/** Collects a file's capabilities, one per kind and key (the first occurrence wins). */
export class CapabilityCollector {
  readonly capabilities: Capability[] = [];
  private readonly seen = new Set<string>();
  readonly lines: LineIndex;

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text);
  }

  has(kind: CapabilityKind, key?: string): boolean {
    if (key !== undefined) return this.seen.has(`${kind}\0${key}`);
    return this.capabilities.some((c) => c.kind === kind);
  }

  add(kind: CapabilityKind, key: string, offset: number, detail: string, extra: Partial<Pick<Capability, 'risk' | 'topLevel'>> = {}): void {
    const id = `${kind}\0${key}`;
    if (this.seen.has(id)) {
      // Python: keep the top-level occurrence if one exists, since setup.py rules need it.
      if (extra.topLevel) {
        const existing = this.capabilities.find((c) => c.kind === kind && c.key === key);
        if (existing && !existing.topLevel) {
          existing.topLevel = true;
          existing.line = this.lines.lineAt(offset);
          existing.evidence = this.lines.evidenceAt(offset);
        }
      }
      return;
    }
    this.seen.add(id);
    this.capabilities.push({
      kind,
      key,
      line: this.lines.lineAt(offset),
      detail,
      evidence: this.lines.evidenceAt(offset),
      ...(extra.risk ? { risk: extra.risk } : {}),
      ...(extra.topLevel !== undefined ? { topLevel: extra.topLevel } : {}),
    });
  }

  /**
   * Signals found in a string literal spanning `offset` to `end`. A literal can span many lines
   * (template literals, triple-quoted strings), so each signal is placed where its key appears in
   * the literal's source text, falling back to the literal's start when escapes hide it.
   */
  addSignals(signals: StringSignal[], offset: number, extra: { topLevel?: boolean } = {}, end = offset): void {
    const raw = end > offset ? this.text.slice(offset, end).toLowerCase() : '';
    for (const s of signals) {
      const at = raw ? raw.indexOf(s.key.toLowerCase()) : -1;
      this.add(s.kind, s.key, at > 0 ? offset + at : offset, s.detail, { ...extra, ...(s.risk ? { risk: s.risk } : {}) });
    }
  }
}
