import type { AirlockError } from '../errors.js';
import type { Logger } from './create-logger.js';

/** One `upstream-error` line: which upstream, what Airlock said, and the network cause underneath (ENOTFOUND, ECONNREFUSED, …). */
export function logUpstreamFailure(logger: Logger, upstream: string, err: AirlockError): void {
  const cause = err.cause as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const inner = cause?.cause ?? cause;
  logger.warn(
    {
      event: 'upstream-error',
      upstream,
      code: err.code,
      cause: typeof inner?.code === 'string' ? inner.code : typeof inner?.message === 'string' ? inner.message : undefined,
    },
    err.message,
  );
}
