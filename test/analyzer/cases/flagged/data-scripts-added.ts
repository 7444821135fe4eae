import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [
  { name: 'a wheel gains a .data/scripts file', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py-1.0.1.data/scripts/demo-helper': '#!/bin/sh\necho helper\n' })] },
  { name: 'a wheel gains a .data/data file', ecosystem: 'pypi', previous: [wheelBase()], candidate: [wheelNext({ 'demo_py-1.0.1.data/data/etc/demo.conf': 'x=1\n' })] },
];
