/** One row of a side-by-side view: line numbers (1-based) on each side, or null where a side has none. */
export interface DiffRow {
  left: number | null;
  right: number | null;
  kind: 'same' | 'removed' | 'added' | 'changed';
}

type Op = { kind: 'same' | 'removed' | 'added'; left: number | null; right: number | null };

/**
 * Line diff of a baseline file (`left`) and a candidate file (`right`) as side-by-side rows:
 * Myers' O(ND) algorithm on the part between the common head and tail, with the edit distance
 * bounded so a rewritten file cannot cost seconds (past the bound it shows as removed + added).
 * Neighbouring removed and added lines are paired into `changed` rows.
 */
export function lineDiff(left: string[], right: string[], maxCells = 20_000_000): DiffRow[] {
  let head = 0;
  while (head < left.length && head < right.length && left[head] === right[head]) head++;
  let tail = 0;
  while (tail < left.length - head && tail < right.length - head && left[left.length - 1 - tail] === right[right.length - 1 - tail]) tail++;

  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: 'same', left: i + 1, right: i + 1 });
  const a = left.slice(head, left.length - tail);
  const b = right.slice(head, right.length - tail);
  const middle = myers(a, b, Math.max(1, Math.floor(maxCells / (a.length + b.length + 1))));
  for (const op of middle)
    ops.push({ kind: op.kind, left: op.left === null ? null : op.left + head + 1, right: op.right === null ? null : op.right + head + 1 });
  for (let i = 0; i < tail; i++) ops.push({ kind: 'same', left: left.length - tail + i + 1, right: right.length - tail + i + 1 });
  return pair(ops);
}

/** A frontier entry; indexes stay inside the frontier by construction, so the fallback never applies. */
function at(v: Int32Array, i: number): number {
  return v[i] ?? 0;
}

/** Edit script with 0-based indexes; falls back to "all removed, all added" beyond `maxD` edits. */
function myers(a: string[], b: string[], maxD: number): Op[] {
  const n = a.length;
  const m = b.length;
  const all = (): Op[] => [
    ...a.map((_, i): Op => ({ kind: 'removed', left: i, right: null })),
    ...b.map((_, j): Op => ({ kind: 'added', left: null, right: j })),
  ];
  if (n === 0 || m === 0) return all();
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  let v: Int32Array = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && at(v, offset + k - 1) < at(v, offset + k + 1)) ? at(v, offset + k + 1) : at(v, offset + k - 1) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return all();
  trace.push(v);
  // Walk back through the saved frontiers to recover the path.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    v = trace[d] ?? v;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(v, offset + k - 1) < at(v, offset + k + 1)) ? k + 1 : k - 1;
    const prevX = at(v, offset + prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: 'same', left: --x, right: --y });
    if (x === prevX) ops.push({ kind: 'added', left: null, right: --y });
    else ops.push({ kind: 'removed', left: --x, right: null });
  }
  while (x > 0 && y > 0) ops.push({ kind: 'same', left: --x, right: --y });
  return ops.reverse();
}

function pair(ops: Op[]): DiffRow[] {
  const rows: DiffRow[] = [];
  for (let i = 0; i < ops.length; ) {
    const first = ops[i];
    if (first?.kind === 'same') {
      rows.push({ kind: 'same', left: first.left, right: first.right });
      i++;
      continue;
    }
    const removed: number[] = [];
    const added: number[] = [];
    for (let op = ops[i]; op && op.kind !== 'same'; op = ops[++i]) {
      if (op.left !== null && op.kind === 'removed') removed.push(op.left);
      else if (op.right !== null) added.push(op.right);
    }
    for (let j = 0; j < Math.max(removed.length, added.length); j++) {
      const l = removed[j] ?? null;
      const r = added[j] ?? null;
      rows.push({ kind: l !== null && r !== null ? 'changed' : l !== null ? 'removed' : 'added', left: l, right: r });
    }
  }
  return rows;
}
