/**
 * The Simple Repository API as it travels on the wire. Field names keep their wire spelling
 * (`upload-time`, `requires-python`); nothing outside `src/ecosystems/pypi/` sees these types.
 *
 * - PEP 503 (HTML): https://peps.python.org/pep-0503/
 * - PEP 691 (JSON, content negotiation): https://peps.python.org/pep-0691/
 * - PEP 700 (`versions`, `size`, `upload-time`; api-version 1.1): https://peps.python.org/pep-0700/
 * - PEP 658 / 714 (`core-metadata`, the legacy `dist-info-metadata`): https://peps.python.org/pep-0714/
 * - PEP 592 (`yanked`): https://peps.python.org/pep-0592/
 * - PEP 740 (`provenance`): https://peps.python.org/pep-0740/
 */

/** The JSON media type of the v1 API (PEP 691). */
export const simpleJsonType = 'application/vnd.pypi.simple.v1+json';
/** The HTML media type of the v1 API (PEP 691); `text/html` is its legacy alias. */
export const simpleHtmlType = 'application/vnd.pypi.simple.v1+html';
export const legacyHtmlType = 'text/html';

/**
 * What Airlock asks upstream for. Only the JSON form carries per-file `upload-time` (PEP 700),
 * which the cooldown runs from, so HTML is not offered: an upstream that cannot answer in JSON
 * fails closed instead of being read without publish times.
 */
export const upstreamAccept = simpleJsonType;

/** The API version Airlock serves: 1.1 is the first with `versions`, `size` and `upload-time` (PEP 700). */
export const servedApiVersion = '1.1';

/** A hash mapping, lowercase hex by algorithm name (`{ "sha256": "…" }`). */
export type PypiHashes = Record<string, string>;

/** One file of a project page (PEP 691 `files[]`, with PEP 700 and PEP 714 additions). */
export interface PypiFile {
  filename: string;
  /** Absolute, or relative to the page URL (PEP 503). */
  url: string;
  hashes: PypiHashes;
  'requires-python'?: string | null;
  /** PEP 714 name of the PEP 658 metadata flag: false, true, or the hashes of the `.metadata` file. */
  'core-metadata'?: boolean | PypiHashes;
  /** The PEP 658 name, kept for older clients (pip < 23.3 reads only this one). */
  'dist-info-metadata'?: boolean | PypiHashes;
  /** PEP 592: false, true, or the reason as a string. */
  yanked?: boolean | string;
  /** Bytes (PEP 700, required from api-version 1.1). */
  size?: number;
  /** ISO 8601 `yyyy-mm-ddThh:mm:ss.ffffffZ` (PEP 700). */
  'upload-time'?: string | null;
  /** URL of the PEP 740 provenance object, or null. */
  provenance?: string | null;
}

/** A project page (PEP 691 project detail, PEP 700 `versions`). */
export interface PypiSimpleDetail {
  meta: { 'api-version': string; _last_serial?: number };
  name: string;
  /** Every version of the project (PEP 700), including ones without files. */
  versions?: string[];
  files: PypiFile[];
}

/** The root page listing projects (PEP 691 project list). */
export interface PypiSimpleIndex {
  meta: { 'api-version': string };
  projects: { name: string }[];
}
