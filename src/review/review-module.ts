import { Router } from 'express';
import type { AppContext } from '../app-context.js';

// Scaffold: replaced by the review module (API, web page, auth).
export function createReviewModule(ctx: AppContext): { router: Router; close?(): Promise<void> } {
  void ctx;
  return { router: Router() };
}
