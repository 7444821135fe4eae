import type { RuleCase } from '../../build-artifacts.js';
import { wheelBase, wheelNext } from '../common.js';

export const cases: RuleCase[] = [{ name: 'the same data script as before', ecosystem: 'pypi', previous: [wheelBase({ 'demo_py-1.0.0.data/scripts/demo-helper': '#!/bin/sh\necho 1\n' })], candidate: [wheelNext({ 'demo_py-1.0.1.data/scripts/demo-helper': '#!/bin/sh\necho 2\n' })] }];
