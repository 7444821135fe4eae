/**
 * setuptools' own `.pth` files, matched statement for statement (modulo the package name), never
 * by prefix: a `distutils-precedence.pth` or `-nspkg.pth` that starts like setuptools' and goes on
 * to run something else is a startup hook like any other.
 *
 * Templates: `distutils-precedence.pth` from setuptools' setup.py (`SETUPTOOLS_USE_DISTUTILS`
 * defaulting to `local`, or `stdlib` before 60), and the namespace-package line of
 * `setuptools/namespaces.py` (`_nspkg_tmpl`, with and without the importlib statements, plus
 * `_nspkg_tmpl_multi` for nested packages).
 */
const name = String.raw`'[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*'`;
const pathTuple = String.raw`\('[A-Za-z_][A-Za-z0-9_]*',(?: '[A-Za-z_][A-Za-z0-9_]*',?)*\)|\((?:'[A-Za-z_][A-Za-z0-9_]*', )+'[A-Za-z_][A-Za-z0-9_]*'\)`;
const root = String.raw`sys\._getframe\(1\)\.f_locals\['sitedir'\]`;

/** A template statement with its placeholders: PKG (a quoted dotted name), PTH (a tuple of names), ROOT. */
const statement = (template: string) =>
  new RegExp(
    '^' +
      template
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('PKG', name)
        .replaceAll('PTH', `(?:${pathTuple})`)
        .replaceAll('ROOT', root) +
      '$',
  );

const precedence = [
  ["import os", "var = 'SETUPTOOLS_USE_DISTUTILS'", "enabled = os.environ.get(var, 'local') == 'local'", "enabled and __import__('_distutils_hack').add_shim()", ''],
  ["import os", "var = 'SETUPTOOLS_USE_DISTUTILS'", "enabled = os.environ.get(var, 'stdlib') == 'local'", "enabled and __import__('_distutils_hack').add_shim()", ''],
].flatMap((t) => [t, t.slice(0, -1)]).map((t) => t.map(statement));

const nspkgCore = [
  'import sys, types, os',
  'has_mfs = sys.version_info > (3, 5)',
  'p = os.path.join(ROOT, *PTH)',
  "importlib = has_mfs and __import__('importlib.util')",
  "has_mfs and __import__('importlib.machinery')",
  'm = has_mfs and sys.modules.setdefault(PKG, importlib.util.module_from_spec(importlib.machinery.PathFinder.find_spec(PKG, [os.path.dirname(p)])))',
  'm = m or sys.modules.setdefault(PKG, types.ModuleType(PKG))',
  "mp = (m or []) and m.__dict__.setdefault('__path__',[])",
  '(p not in mp) and mp.append(p)',
];
const nspkgOld = [
  'import sys, types, os',
  'p = os.path.join(ROOT, *PTH)',
  "ie = os.path.exists(os.path.join(p,'__init__.py'))",
  'm = not ie and sys.modules.setdefault(PKG, types.ModuleType(PKG))',
  "mp = (m or []) and m.__dict__.setdefault('__path__',[])",
  '(p not in mp) and mp.append(p)',
];
const multi = 'm and setattr(sys.modules[PKG], PKG, m)';
const nspkg = [nspkgCore, [...nspkgCore, multi], nspkgOld, [...nspkgOld, multi]].map((t) => t.map(statement));

/** Whether one executable `.pth` line is exactly setuptools' template for a file of this name. */
export function isSetuptoolsPthLine(fileName: string, code: string): boolean {
  const templates = /-nspkg\.pth$/.test(fileName) ? nspkg : /(?:^|\/)distutils-precedence\.pth$/.test(fileName) ? precedence : null;
  if (!templates) return false;
  const parts = code.replace(/\r$/, '').split(';').map((s) => s.trim());
  return templates.some((t) => t.length === parts.length && t.every((re, k) => re.test(parts[k] ?? '')));
}
