import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import semver from 'semver';
import { AirlockError } from '../../../errors.js';
import type { NpmIndex } from '../npm-index.js';
import { fullType } from '../npm-wire.js';
import type { PackumentCache } from '../packument-cache.js';
import { renderVersion } from '../render-packument.js';
import { settledPackage } from './packument-route.js';
import { sendDocument } from './send-document.js';

/**
 * `GET /npm/<name>/<version>` and `GET /npm/<name>/<dist-tag>`: one visible version object. A held
 * version answers 404 like a missing one (held releases are absent everywhere), with the reason.
 */
export async function versionRoute(req: Request, res: Response, name: string, spec: string, index: NpmIndex, cache: PackumentCache): Promise<void> {
  const snapshot = await settledPackage(index, name);
  const view = cache.view(snapshot);
  const exact = semver.valid(spec, true) !== null;
  const version = exact ? spec : view.distTags[spec];
  if (!version) throw new AirlockError('ENOTFOUND', `npm:${name} has no dist-tag "${spec}"`, { subject: `npm:${name}` });
  const upstream = snapshot.packument.versions.get(version);
  if (!upstream) throw new AirlockError('ENOTFOUND', `npm:${name}@${version} does not exist upstream`, { subject: `npm:${name}` });
  if (!view.shows(version)) {
    const held = view.held.find((h) => h.version === version);
    throw new AirlockError('ENOTFOUND', held?.status.reason ?? `npm:${name}@${version} is not available`, { subject: `npm:${name}@${version}` });
  }
  const body = renderVersion(snapshot.packument, upstream, view);
  sendDocument(req, res, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, contentType: fullType });
}
