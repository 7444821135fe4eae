import { parseExpressionAt, type Node } from 'acorn';

/** What a folded value is made of: a string, or a number (for char codes). */
type Folded = string | number | null;

export interface FoldResult {
  value: string;
  /** True when the value was assembled (concatenation, char codes, reversal, decoding), not written plainly. */
  assembled: boolean;
}

interface AnyNode extends Node {
  [key: string]: unknown;
}

/**
 * Parses the JavaScript expression starting at `offset` with acorn and constant-folds it to a
 * string when it is built from literals: `'chi' + 'ld_pro' + 'cess'`, `['ev', 'al'].join('')`,
 * `String.fromCharCode(101, 118, 97, 108)`, `'lave'.split('').reverse().join('')`,
 * `atob('ZXZhbA==')`, `Buffer.from('…', 'base64').toString()`, and names bound to such
 * constants in `consts`. Returns null when the expression is not a constant string.
 */
export function foldExpressionAt(src: string, offset: number, consts: ReadonlyMap<string, string>): FoldResult | null {
  let node: AnyNode;
  try {
    node = parseExpressionAt(src, offset, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }) as AnyNode;
  } catch {
    return null;
  }
  if (node.type === 'SequenceExpression') {
    const [first] = node['expressions'] as AnyNode[];
    if (!first) return null;
    node = first;
  }
  const state = { assembled: false, steps: 0 };
  const value = fold(node, consts, state);
  return typeof value === 'string' ? { value, assembled: state.assembled } : null;
}

function fold(node: AnyNode, consts: ReadonlyMap<string, string>, state: { assembled: boolean; steps: number }): Folded {
  if (++state.steps > 2000) return null;
  switch (node.type) {
    case 'Literal': {
      const v = node['value'];
      return typeof v === 'string' || typeof v === 'number' ? v : null;
    }
    case 'TemplateLiteral': {
      const quasis = node['quasis'] as AnyNode[];
      const exprs = node['expressions'] as AnyNode[];
      let out = '';
      for (let i = 0; i < quasis.length; i++) {
        const quasi = quasis[i];
        if (!quasi) return null;
        const cooked = (quasi['value'] as { cooked: string | null }).cooked;
        if (cooked === null) return null;
        out += cooked;
        if (i < exprs.length) {
          const expr = exprs[i];
          const v = expr ? fold(expr, consts, state) : null;
          if (v === null) return null;
          out += String(v);
          state.assembled = true;
        }
      }
      return out;
    }
    case 'Identifier': {
      const v = consts.get(node['name'] as string);
      if (v !== undefined) state.assembled = true;
      return v ?? null;
    }
    case 'ParenthesizedExpression':
      return fold(node['expression'] as AnyNode, consts, state);
    case 'BinaryExpression': {
      const left = fold(node['left'] as AnyNode, consts, state);
      if (left === null) return null;
      const right = fold(node['right'] as AnyNode, consts, state);
      if (right === null) return null;
      const op = node['operator'] as string;
      if (op === '+') {
        if (typeof left === 'string' || typeof right === 'string') state.assembled = true;
        return typeof left === 'number' && typeof right === 'number' ? left + right : String(left) + String(right);
      }
      if (typeof left !== 'number' || typeof right !== 'number') return null;
      switch (op) {
        case '-': return left - right;
        case '*': return left * right;
        case '^': return left ^ right;
        case '|': return left | right;
        case '&': return left & right;
        case '<<': return left << right;
        case '>>': return left >> right;
        case '%': return right === 0 ? null : left % right;
        default: return null;
      }
    }
    case 'CallExpression':
      return foldCall(node, consts, state);
    default:
      return null;
  }
}

function foldCall(node: AnyNode, consts: ReadonlyMap<string, string>, state: { assembled: boolean; steps: number }): Folded {
  const callee = node['callee'] as AnyNode;
  const args = node['arguments'] as AnyNode[];
  const [arg0] = args;
  if (callee.type === 'Identifier' && callee['name'] === 'atob' && args.length === 1 && arg0) {
    const v = fold(arg0, consts, state);
    if (typeof v !== 'string') return null;
    state.assembled = true;
    return Buffer.from(v, 'base64').toString('latin1');
  }
  if (callee.type !== 'MemberExpression' || callee['computed']) return null;
  const method = (callee['property'] as AnyNode)['name'] as string;
  const object = callee['object'] as AnyNode;

  if (object.type === 'Identifier' && object['name'] === 'String' && method === 'fromCharCode') {
    const codes: number[] = [];
    for (const a of args) {
      const v = fold(a, consts, state);
      if (typeof v !== 'number') return null;
      codes.push(v);
    }
    state.assembled = true;
    return String.fromCharCode(...codes);
  }
  // Buffer.from('…', 'base64').toString()
  if (method === 'toString' && object.type === 'CallExpression') {
    const inner = object['callee'] as AnyNode;
    const innerArgs = object['arguments'] as AnyNode[];
    if (
      inner.type === 'MemberExpression' &&
      (inner['object'] as AnyNode)['name'] === 'Buffer' &&
      (inner['property'] as AnyNode)['name'] === 'from' &&
      innerArgs.length === 2 &&
      innerArgs[0] &&
      innerArgs[1]
    ) {
      const data = fold(innerArgs[0], consts, state);
      const encoding = fold(innerArgs[1], consts, state);
      if (typeof data !== 'string' || (encoding !== 'base64' && encoding !== 'hex' && encoding !== 'base64url')) return null;
      state.assembled = true;
      return Buffer.from(data, encoding).toString('latin1');
    }
  }
  if (method === 'join' && object.type === 'ArrayExpression') {
    const parts: string[] = [];
    for (const el of object['elements'] as Array<AnyNode | null>) {
      if (!el) return null;
      const v = fold(el, consts, state);
      if (v === null) return null;
      parts.push(String(v));
    }
    const sep = arg0 === undefined ? ',' : fold(arg0, consts, state);
    if (typeof sep !== 'string') return null;
    state.assembled = true;
    return parts.join(sep);
  }
  // 'lave'.split('').reverse().join('')
  if (method === 'join' && object.type === 'CallExpression') {
    const rev = object['callee'] as AnyNode;
    if (rev.type === 'MemberExpression' && (rev['property'] as AnyNode)['name'] === 'reverse') {
      const split = rev['object'] as AnyNode;
      if (split.type === 'CallExpression' && (split['callee'] as AnyNode).type === 'MemberExpression') {
        const splitCallee = split['callee'] as AnyNode;
        if ((splitCallee['property'] as AnyNode)['name'] === 'split') {
          const base = fold(splitCallee['object'] as AnyNode, consts, state);
          if (typeof base !== 'string') return null;
          state.assembled = true;
          return Array.from(base).reverse().join(''); // by code point, as String.prototype.split would not
        }
      }
    }
    return null;
  }
  if (method === 'concat') {
    const base = fold(object, consts, state);
    if (typeof base !== 'string') return null;
    let out = base;
    for (const a of args) {
      const v = fold(a, consts, state);
      if (v === null) return null;
      out += String(v);
    }
    state.assembled = true;
    return out;
  }
  return null;
}
