import type { RuleCase } from '../../build-artifacts.js';
import { npmBase, npmNext, wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'model.eval() and ast.literal_eval are not eval', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py/m.py': 'import ast\nimport re\n\n\ndef f(model, s):\n    model.eval()\n    re.compile(s)\n    return ast.literal_eval(s)\n' })] },
  { name: 'a method named eval and the word Function', ecosystem: 'npm', previous: [npmBase()], candidate: [npmNext({ 'index.js': "class Expr { eval(ctx) { return ctx; } }\nmodule.exports = (x) => typeof x === 'function' || x instanceof Function ? new Expr().eval(x) : null;\n" })] },
];
