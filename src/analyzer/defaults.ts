import type { ArchiveLimits } from './types.js';
import type { Severity } from '../domain/severity.js';

const MiB = 1024 * 1024;

export const defaultLimits: Readonly<ArchiveLimits> = {
  maxFileBytes: 64 * MiB,
  maxTotalBytes: 1024 * MiB,
  maxEntries: 100_000,
  maxArchiveBytes: 512 * MiB,
  maxCompressionRatio: 200,
};

export const defaultReviewThreshold: Severity = 'high';

/** Profiles kept by a default cache (a profile is small: a few capabilities with short evidence). */
export const defaultCacheEntries = 50_000;

/** Metadata files (package.json, PKG-INFO, .pth, setup.py…) larger than this are not kept as text. */
export const maxMetadataTextBytes = 4 * MiB;
