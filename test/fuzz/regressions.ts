/** A kept fuzz case: what it found when it failed, and what the fixed code must answer. */
import type { Outcome, StoredCase } from './case.js';

export interface Regression {
  found: { date: string; seed: number; index: number; outcome: Outcome; message: string };
  /** null until pinned (`npm run fuzz -- --pin`): then the outcome and sentence the code must keep giving. */
  expected: { outcome: Outcome; message?: string } | null;
  case: StoredCase;
}
