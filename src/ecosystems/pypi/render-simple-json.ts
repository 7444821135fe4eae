import { mustExist } from '../../must-exist.js';
import type { IndexedFile } from './pypi-index.js';
import { servedApiVersion, type PypiFile, type PypiSimpleDetail, type PypiSimpleIndex } from './simple-wire.js';
import type { VisibleProject } from './visible-project.js';

/**
 * A PEP 691 JSON project page with the PEP 700 fields. Hashes come from the store (what the bytes
 * are verified against), so the page and the served file can never disagree.
 */
export function renderSimpleJson(name: string, project: VisibleProject, urlOf: (file: IndexedFile) => string): Buffer {
  const page: PypiSimpleDetail = {
    meta: { 'api-version': servedApiVersion },
    name,
    versions: project.versions,
    files: project.files.map((file) => wireFile(file, urlOf(file))),
  };
  return Buffer.from(JSON.stringify(page));
}

export function renderProjectListJson(names: string[]): Buffer {
  const page: PypiSimpleIndex = { meta: { 'api-version': servedApiVersion }, projects: names.map((name) => ({ name })) };
  return Buffer.from(JSON.stringify(page));
}

function wireFile({ upstream, artifact }: IndexedFile, url: string): PypiFile {
  const metadata = upstream.metadataSha256 ? { sha256: upstream.metadataSha256 } : false;
  const file: PypiFile = { filename: upstream.filename, url, hashes: { sha256: mustExist(artifact.digests.sha256, `the sha256 of ${upstream.filename}`) } };
  if (upstream.requiresPython !== null) file['requires-python'] = upstream.requiresPython;
  file['core-metadata'] = metadata;
  file['dist-info-metadata'] = metadata;
  file.yanked = upstream.yanked;
  if (upstream.size !== null) file.size = upstream.size;
  file['upload-time'] = upstream.uploadTime;
  if (upstream.provenance !== undefined) file.provenance = upstream.provenance;
  return file;
}
