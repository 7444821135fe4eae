import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { NpmIndex } from '../npm-index.js';
import { fullType } from '../npm-wire.js';
import type { PackumentCache } from '../packument-cache.js';
import { settledPackage } from './packument-route.js';
import { sendDocument } from './send-document.js';

/** `GET /npm/-/package/<name>/dist-tags` (`npm dist-tag ls`): the tags as recomputed over visible versions. */
export async function distTagsRoute(req: Request, res: Response, name: string, index: NpmIndex, cache: PackumentCache): Promise<void> {
  const view = cache.view(await settledPackage(index, name));
  const body = Buffer.from(JSON.stringify(view.distTags));
  sendDocument(req, res, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, contentType: fullType });
}
