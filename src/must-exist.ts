import { AirlockError } from './errors.js';

/**
 * A value an invariant of the caller guarantees (a row just written, a key just looked up). If the
 * invariant breaks, this throws an internal error naming what was missing, instead of letting
 * `undefined` travel on and fail somewhere unrelated.
 */
export function mustExist<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new AirlockError('EINTERNAL', `internal error: ${what} is missing`);
  return value;
}
