/**
 * Class-balanced, deterministic choice of a subset of a dataset (calibration and eval sets).
 */
import { Rng } from '../model/random.js';

/**
 * Picks up to `limit` indices, as evenly across classes as the classes allow: each class's
 * indices are shuffled with `seed`, then classes take turns (in a seeded class order) giving one
 * index each until `limit` is reached; a class that runs out drops out of the turns. Labels < 0
 * (records marked invalid) are never chosen. `limit` undefined (or ≥ the valid count) gives every
 * valid index. The result is sorted ascending (reading order), and the same for the same inputs.
 */
export function sampleIndices(labels: Int32Array, limit: number | undefined, seed: number): number[] {
  const valid: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) valid.push(i);
  if (limit === undefined || limit >= valid.length) return valid;
  if (limit <= 0) return [];
  const byClass = new Map<number, number[]>();
  for (const i of valid) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const rng = new Rng(seed);
  const shuffle = (a: number[]) => {
    for (let i = a.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
  };
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  for (const k of classes) shuffle(byClass.get(k)!);
  shuffle(classes);
  const out: number[] = [];
  for (let round = 0; out.length < limit; round++) {
    for (const k of classes) {
      const list = byClass.get(k)!;
      if (round < list.length) {
        out.push(list[round]);
        if (out.length === limit) break;
      }
    }
  }
  return out.sort((a, b) => a - b);
}
