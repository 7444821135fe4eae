import type { RuleCase } from '../../build-artifacts.js';
import { npmBase } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a package.json that is not JSON', ecosystem: 'npm', previous: [npmBase()], candidate: [{ format: 'npm', name: 'demo', version: '1.0.1', files: { 'package.json': '{ "name": "demo", ', 'index.js': '' } }] },
];
