import type { Clock } from './ports';

export const systemClock: Clock = {
  now: () => new Date(),
  nowMs: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
