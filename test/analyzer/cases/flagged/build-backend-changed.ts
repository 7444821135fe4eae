import type { RuleCase } from '../../build-artifacts.js';
import { sdistBase, sdistNext } from '../common.js';

const hatch = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n';
const inTree = '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["_build"]\n';
export const cases: RuleCase[] = [
  { name: 'an in-tree backend with backend-path appears', ecosystem: 'pypi', previous: [sdistBase({ 'pyproject.toml': hatch })], candidate: [sdistNext({ 'pyproject.toml': inTree, '_build/backend.py': 'def build_wheel(*a):\n    pass\n' })] },
  { name: 'the backend changes to an unknown one', ecosystem: 'pypi', previous: [sdistBase({ 'pyproject.toml': hatch })], candidate: [sdistNext({ 'pyproject.toml': '[build-system]\nrequires = ["fancybuild"]\nbuild-backend = "fancybuild.api"\n' })] },
];
