/** Maps offsets to 1-based lines and cuts short evidence snippets; built once per file on demand. */
export class LineIndex {
  private starts: number[] | null = null;

  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    const starts = this.lineStarts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? Infinity) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /**
   * A few lines around `offset` (the line before, the line, the line after). A long line
   * (minified code) is cut to a window around the offset so evidence stays readable.
   */
  evidenceAt(offset: number): string {
    const starts = this.lineStarts();
    const line = this.lineAt(offset) - 1;
    const out: string[] = [];
    for (let l = Math.max(0, line - 1); l <= Math.min(starts.length - 1, line + 1); l++) {
      const start = starts[l] ?? 0;
      const next = starts[l + 1];
      const end = next !== undefined ? next - 1 : this.text.length;
      let text = this.text.slice(start, end).replace(/\r$/, '');
      if (text.length > 160) {
        if (l !== line) text = text.slice(0, 80) + ' …';
        else {
          const at = offset - start;
          const from = Math.max(0, at - 60);
          text = (from > 0 ? '… ' : '') + text.slice(from, at + 100).trimEnd() + (at + 100 < text.length ? ' …' : '');
        }
      }
      out.push(text);
    }
    return out.join('\n');
  }

  private lineStarts(): number[] {
    if (this.starts) return this.starts;
    const starts = [0];
    let i = this.text.indexOf('\n');
    while (i !== -1) {
      starts.push(i + 1);
      i = this.text.indexOf('\n', i + 1);
    }
    this.starts = starts;
    return starts;
  }
}
