/**
 * The one table of Airlock error codes and their HTTP status. Only the HTTP error handler turns
 * an `AirlockError` into a response; everything else throws or passes it on.
 */
export const errorCodes = {
  EBADNAME: 400,
  EBADREQUEST: 400,
  EUNAUTHORIZED: 401,
  EFORBIDDEN: 403,
  EQUARANTINED: 403,
  EREJECTED: 403,
  EWITHDRAWN: 403,
  ENOTFOUND: 404,
  EMETHOD: 405,
  ECONFLICT: 409,
  ERATELIMITED: 429,
  EINTEGRITY: 502,
  EUPSTREAM: 502,
  EUPSTREAMDOWN: 503,
  EANALYSISPENDING: 503,
  EANALYSISTIMEOUT: 504,
  EINTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface AirlockErrorOptions {
  /** Release id (`npm:express@5.0.0`) or package id the error is about. */
  subject?: string;
  /** Short HTTP reason phrase, e.g. `Quarantined until 2026-12-01T10:00Z`. */
  statusText?: string;
  /** Extra headers the response should carry (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AirlockError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly subject?: string;
  readonly statusText?: string;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: AirlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AirlockError';
    this.code = code;
    this.status = errorCodes[code];
    this.subject = options.subject;
    this.statusText = options.statusText;
    this.headers = options.headers;
  }
}

export function isAirlockError(err: unknown): err is AirlockError {
  return err instanceof AirlockError;
}

/** What to log about a caught value: its stack if it is an Error, else the value as text. */
export function errorStack(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** The one-line message of a caught value, for an answer or a problem list. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
