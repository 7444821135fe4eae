import type { Clock } from '../clock.js';

export interface AuthFailureLimits {
  /** Failures one client address may have in a window before it is refused until the window ends. */
  perAddress: number;
  /** Failures from all addresses together in a window before every failing address is refused. */
  global: number;
  windowMs: number;
}

interface Window {
  startedAt: number;
  failures: number;
}

/** Addresses tracked at most; past it, expired windows are dropped first, then the oldest. */
const maxAddresses = 100_000;

/**
 * Counts failed authentications (wrong sign-in tokens, wrong bearer tokens) per client address
 * and in total, in fixed windows on the injected clock, and says how long a client must wait.
 *
 * An address with `perAddress` failures in its window is refused until the window ends, whatever
 * it sends (a right token too: otherwise the limit would still answer "right" or "wrong"). When
 * all addresses together reach `global` in a window, any address with a failure in its current
 * window is refused until that window ends too: a guesser spread over many addresses gets one
 * try per address per window. Addresses without failures are never refused, so a flood cannot
 * lock out the clients whose tokens are right. Kept in memory: each replica limits on its own.
 */
export class AuthFailureLimiter {
  private readonly byAddress = new Map<string, Window>();
  private total: Window = { startedAt: 0, failures: 0 };

  constructor(
    private readonly clock: Clock,
    readonly limits: AuthFailureLimits,
  ) {}

  /** How long `address` must wait before it may try again, or 0 when it may try now. */
  retryAfterMs(address: string): number {
    const now = this.clock.now().getTime();
    const mine = this.current(this.byAddress.get(address), now);
    if (!mine || mine.failures === 0) return 0;
    const untilMine = mine.startedAt + this.limits.windowMs - now;
    if (mine.failures >= this.limits.perAddress) return untilMine;
    const total = this.current(this.total, now);
    if (total && total.failures >= this.limits.global) return Math.max(untilMine, total.startedAt + this.limits.windowMs - now);
    return 0;
  }

  /** Records a failure; returns the address's failures and all failures in their current windows. */
  recordFailure(address: string): { failures: number; total: number } {
    const now = this.clock.now().getTime();
    const mine = this.current(this.byAddress.get(address), now) ?? { startedAt: now, failures: 0 };
    mine.failures++;
    this.byAddress.delete(address); // re-insert: the map's order is then oldest-first
    this.byAddress.set(address, mine);
    this.total = this.current(this.total, now) ?? { startedAt: now, failures: 0 };
    this.total.failures++;
    if (this.byAddress.size > maxAddresses) this.prune(now);
    return { failures: mine.failures, total: this.total.failures };
  }

  private current(window: Window | undefined, now: number): Window | undefined {
    return window && now - window.startedAt < this.limits.windowMs ? window : undefined;
  }

  private prune(now: number): void {
    for (const [address, window] of this.byAddress) if (!this.current(window, now)) this.byAddress.delete(address);
    for (const address of this.byAddress.keys()) {
      if (this.byAddress.size <= maxAddresses) break;
      this.byAddress.delete(address);
    }
  }
}
