import { mustExist } from '../must-exist.js';
import { formatDuration } from '../duration.js';
import { AirlockError, type ErrorCode } from '../errors.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { Release } from '../domain/release.js';

/** Seconds a client is asked to wait before asking again (`Retry-After`): a typical analysis. */
const retryAfterSeconds = 5;

/**
 * The answer when a request waited `waitedMs` for analyses that would decide what it gets and
 * they have not finished: never an older release in silence, but the release named, with a
 * `Retry-After`. npm prints the body's `error` field and the reason phrase; pip the reason phrase.
 * `EANALYSISPENDING` (503) for indexes, which npm and pip both retry on their own (pip honours
 * `Retry-After`); `EANALYSISTIMEOUT` (504) where the reason phrase must reach pip, which prints it
 * for a file download only when the status is not one it retries.
 */
export function analysisPendingError(releases: Release[], waitedMs: number, code: Extract<ErrorCode, 'EANALYSISPENDING' | 'EANALYSISTIMEOUT'> = 'EANALYSISPENDING'): AirlockError {
  const [first] = releases;
  const id = formatReleaseId(mustExist(first, 'a pending release to name'));
  const more = releases.length > 1 ? ` and ${releases.length - 1} more release(s) of the package` : '';
  return new AirlockError(
    code,
    `the analysis of ${id}${more} is still running (Airlock waited ${formatDuration(waitedMs)}); retry in a few seconds`,
    {
      subject: id,
      statusText: `Analysis of ${id} still running, retry in a few seconds`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    },
  );
}
