import type { RuleCase } from '../../build-artifacts.js';
import { sdistBase, sdistNext } from '../common.js';

const hatch = '[build-system]\nrequires = ["hatchling>=1.20"]\nbuild-backend = "hatchling.build"\n';
export const cases: RuleCase[] = [
  { name: 'the same backend with new requirements', ecosystem: 'pypi', previous: [sdistBase({ 'pyproject.toml': hatch })], candidate: [sdistNext({ 'pyproject.toml': hatch.replace('1.20', '1.25') })] },
  { name: 'legacy setup.py to an explicit setuptools backend', ecosystem: 'pypi', previous: [sdistBase()], candidate: [sdistNext({ 'pyproject.toml': '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta:__legacy__"\n' })] },
];
