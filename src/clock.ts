/** Where Airlock reads the time. Passed in everywhere so tests can move time without mocks. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
