import { npm, sdist, wheel, type Files } from '../build-artifacts.js';

/** A small, plain npm package at 1.0.0: the usual baseline. */
export const plainIndex = "'use strict';\nmodule.exports = function add(a, b) {\n  return a + b;\n};\n";
export const npmBase = (files: Files = {}, manifest: Record<string, unknown> = {}) => npm('1.0.0', { 'index.js': plainIndex, ...files }, manifest);
export const npmNext = (files: Files = {}, manifest: Record<string, unknown> = {}) => npm('1.0.1', { 'index.js': plainIndex, ...files }, manifest);

export const plainModule = '"""Demo helpers."""\n\n\ndef add(a, b):\n    return a + b\n';
export const wheelBase = (files: Files = {}, opts: Parameters<typeof wheel>[2] = {}) => wheel('1.0.0', { 'demo_py/__init__.py': plainModule, ...files }, opts);
export const wheelNext = (files: Files = {}, opts: Parameters<typeof wheel>[2] = {}) => wheel('1.0.1', { 'demo_py/__init__.py': plainModule, ...files }, opts);
export const plainSetup = "from setuptools import setup\n\nsetup(name='demo_py', version='1.0.0', packages=['demo_py'])\n";
export const sdistBase = (files: Files = {}, opts: Parameters<typeof sdist>[2] = {}) => sdist('1.0.0', { 'demo_py/__init__.py': plainModule, 'setup.py': plainSetup, ...files }, opts);
export const sdistNext = (files: Files = {}, opts: Parameters<typeof sdist>[2] = {}) => sdist('1.0.1', { 'demo_py/__init__.py': plainModule, 'setup.py': plainSetup, ...files }, opts);
