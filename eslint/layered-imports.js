// An ESLint rule that keeps the imports between src/'s modules pointing down its layers. The layers
// are the rule's options (eslint.config.js), so the architecture is written once and checked on
// every `npm test`: a file may import its own module and the modules of lower layers; a module
// beside it in its layer, or one above it, is an error, and so is a src/ file in no layer.
import path from 'node:path';

/** @type {import('eslint').Rule.RuleModule} */
export const layeredImports = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between src/ modules only go down the layers given in the options' },
    schema: [
      {
        type: 'object',
        properties: {
          /** The directory the module paths are relative to (src/). */
          root: { type: 'string' },
          /** Lowest first; each layer maps a module name to its folders (`store/`) and files (`app.ts`). */
          layers: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } },
        },
        required: ['root', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        '{{importer}} (layer {{importerLayer}}) imports {{target}} (layer {{targetLayer}}), which is above it: move what both need down (shared types to src/domain/) or pass it in. Layers: eslint.config.js',
      sideways:
        '{{importer}} imports {{target}}, beside it in layer {{importerLayer}}: move what both need down a layer. Layers: eslint.config.js',
      unplaced: '{{file}} is in no layer: add its folder or file to the layers in eslint.config.js',
    },
  },
  create(context) {
    const [{ root, layers }] = context.options;
    const entries = layers.flatMap((modules, layer) =>
      Object.entries(modules).flatMap(([module, paths]) => paths.map((entry) => ({ entry, module, layer }))),
    );
    // The longest entry that covers a path names its module, so `ecosystems/npm/` wins over `ecosystems/`.
    entries.sort((a, b) => b.entry.length - a.entry.length);
    const withoutExtension = (p) => p.replace(/\.(ts|js|mjs)$/, '');
    const placeOf = (absolute) => {
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined; // outside src/: not layered
      return (
        entries.find(({ entry }) => (entry.endsWith('/') ? rel.startsWith(entry) : withoutExtension(rel) === withoutExtension(entry))) ?? null
      );
    };

    const importer = placeOf(context.filename);
    if (importer === undefined) return {};
    if (importer === null) {
      return {
        Program(node) {
          context.report({ node, messageId: 'unplaced', data: { file: path.relative(path.dirname(root), context.filename) } });
        },
      };
    }

    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = placeOf(path.resolve(path.dirname(context.filename), source.value));
      // A target in no layer is reported when that file itself is linted.
      if (!target || target.module === importer.module || target.layer < importer.layer) return;
      context.report({
        node: source,
        messageId: target.layer > importer.layer ? 'upward' : 'sideways',
        // Numbered from 1, as the README lists them.
        data: { importer: importer.module, target: target.module, importerLayer: importer.layer + 1, targetLayer: target.layer + 1 },
      });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
