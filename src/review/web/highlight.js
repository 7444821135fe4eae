// A small tokenizer-based highlighter for the code Airlock shows (JavaScript, Python, JSON).
// It only has to make evidence readable, not parse perfectly: tokens are classified by regular
// expressions, then split into lines so each line can be rendered on its own (side-by-side view).

const jsKeywords = new Set(
  ('await break case catch class const continue debugger default delete do else export extends false finally for function if ' +
    'import in instanceof let new null return super switch this throw true try typeof undefined var void while with yield async of static get set')
    .split(' '),
);
const pyKeywords = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import in ' +
    'is lambda nonlocal not or pass raise return try while with yield match case self print exec')
    .split(' '),
);

const grammars = {
  js: [
    ['comment', /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/y],
    ['string', /`(?:\\[\s\S]|[^`\\])*`?|'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?/y],
    ['number', /\b(?:0[xX][\da-fA-F_]+|0[bB][01_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?n?)\b/y],
    ['word', /[A-Za-z_$][\w$]*/y],
    ['punct', /[{}()[\];,.<>+\-*/%&|^!~?:=@#]+/y],
    ['space', /\s+/y],
  ],
  python: [
    ['comment', /#[^\n]*/y],
    ['string', /[rRbBuUfF]{0,2}(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)/y],
    ['decorator', /@[A-Za-z_][\w.]*/y],
    ['number', /\b(?:0[xX][\da-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?j?)\b/y],
    ['word', /[A-Za-z_]\w*/y],
    ['punct', /[{}()[\];,.<>+\-*/%&|^!~?:=]+/y],
    ['space', /\s+/y],
  ],
  json: [
    ['string', /"(?:\\.|[^"\\\n])*"?/y],
    ['number', /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
    ['word', /[A-Za-z]+/y],
    ['punct', /[{}[\],:]/y],
    ['space', /\s+/y],
  ],
};

/** The language to highlight a file as, from its path; null for plain text. */
export function languageOf(path) {
  const p = (path || '').toLowerCase();
  if (/\.(m?js|cjs|jsx|ts|tsx|mts|cts)$/.test(p)) return 'js';
  if (/\.(py|pyi|pth)$/.test(p) || /(^|\/)setup\.cfg$/.test(p)) return 'python';
  if (/\.json$/.test(p)) return 'json';
  return null;
}

function tokenize(text, language) {
  const grammar = grammars[language];
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    let matched = false;
    for (const [type, re] of grammar) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (!m || m[0].length === 0) continue;
      let kind = type;
      if (type === 'word') {
        const keywords = language === 'js' ? jsKeywords : language === 'python' ? pyKeywords : null;
        kind = keywords && keywords.has(m[0]) ? 'keyword' : language === 'json' ? 'keyword' : 'plain';
      } else if (type === 'string' && language === 'json' && /^\s*:/.test(text.slice(i + m[0].length, i + m[0].length + 4))) {
        kind = 'key';
      } else if (type === 'space' || type === 'punct') {
        kind = 'plain';
      }
      tokens.push([kind, m[0]]);
      i += m[0].length;
      matched = true;
      break;
    }
    if (!matched) {
      tokens.push(['plain', text[i]]);
      i++;
    }
  }
  return tokens;
}

/**
 * Highlights `text` and returns one array of `[kind, text]` pieces per line. Very long inputs are
 * not tokenized (the page must stay fast); they come back as plain lines.
 */
export function highlightLines(text, language) {
  const lines = [[]];
  const tokens = language && text.length <= 512 * 1024 ? tokenize(text, language) : [['plain', text]];
  for (const [kind, value] of tokens) {
    const parts = value.split('\n');
    parts.forEach((part, idx) => {
      if (idx > 0) lines.push([]);
      if (part) lines[lines.length - 1].push([kind, part]);
    });
  }
  return lines;
}

/** Fills `element` with one highlighted line (DOM nodes, never HTML strings). */
export function renderLine(element, pieces) {
  for (const [kind, value] of pieces) {
    if (kind === 'plain') element.append(value);
    else {
      const span = document.createElement('span');
      span.className = `tok-${kind}`;
      span.textContent = value;
      element.append(span);
    }
  }
}
