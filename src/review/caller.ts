import { AirlockError } from '../errors.js';
import type { Response } from 'express';
import type { Role } from '../store/token-store.js';

/** Who is making a request, once authenticated. */
export interface Caller {
  name: string;
  role: Role;
  /** `token`: an `Authorization` header; `session`: the web page's cookie. */
  via: 'token' | 'session';
  /** For sessions: the cookie secret's hash (sign-out) and the CSRF token the page must echo. */
  sessionHash?: string;
  csrfToken?: string;
}

/** The caller `authenticate` attached to the response, or null for an anonymous request. */
export function callerOf(res: Response): Caller | null {
  return (res.locals.caller as Caller | undefined) ?? null;
}

/** The caller on a route behind `requireRole`; a route wired without it fails closed as unauthorized. */
export function signedInCaller(res: Response): Caller {
  const caller = callerOf(res);
  if (!caller) throw new AirlockError('EUNAUTHORIZED', 'sign in or send an API token (Authorization: Bearer <token>)');
  return caller;
}
