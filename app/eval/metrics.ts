/**
 * Classification accuracy accumulated batch by batch: top-1, top-5 (top-min(5, K)), per-class
 * top-1, confusion matrix [true][predicted] and mean cross-entropy (log-softmax computed stably
 * as logit − max − log Σ exp(logit − max), in float64).
 *
 * Ranking and ties: classes are ranked by logit, higher first; equal logits rank the lower class
 * index first (so the prediction is the lowest index among the maxima, as numpy/torch argmax).
 * A NaN logit ranks below everything (as −∞) and makes that image's loss NaN.
 * Fractions are in [0, 1]; with no images they are 0 (and a class with no images has top1 0).
 */

export interface AccuracyResult {
  n: number;
  top1: number;
  top5: number;
  perClass: { label: number; n: number; top1: number }[];
  confusion: number[][];
  meanLoss: number;
}

export class AccuracyAccumulator {
  private n = 0;
  private correct1 = 0;
  private correct5 = 0;
  private lossSum = 0;
  private readonly confusion: Float64Array;
  private readonly topK: number;

  constructor(private readonly classes: number) {
    if (!(Number.isInteger(classes) && classes > 0)) throw new Error(`classes must be a positive integer, not ${classes}`);
    this.confusion = new Float64Array(classes * classes);
    this.topK = Math.min(5, classes);
  }

  /** logits [n, K] row-major, labels [n]. */
  add(logits: Float32Array, labels: Int32Array): void {
    const K = this.classes;
    const n = labels.length;
    if (logits.length !== n * K) throw new Error(`expected ${n}×${K} logits, got ${logits.length}`);
    for (let i = 0; i < n; i++) {
      const y = labels[i];
      if (!(Number.isInteger(y) && y >= 0 && y < K)) throw new Error(`label ${y} is outside the ${K} classes`);
      const row = i * K;
      const v = (j: number) => {
        const x = logits[row + j];
        return Number.isNaN(x) ? -Infinity : x;
      };
      let pred = 0;
      let best = v(0);
      for (let j = 1; j < K; j++) {
        if (v(j) > best) {
          best = v(j);
          pred = j;
        }
      }
      // Rank of the true class: how many classes come before it.
      const vy = v(y);
      let ahead = 0;
      for (let j = 0; j < K; j++) if (v(j) > vy || (v(j) === vy && j < y)) ahead++;
      if (ahead === 0) this.correct1++;
      if (ahead < this.topK) this.correct5++;
      this.confusion[y * K + pred]++;

      let m = -Infinity;
      for (let j = 0; j < K; j++) if (logits[row + j] > m) m = logits[row + j];
      let sum = 0;
      for (let j = 0; j < K; j++) sum += Math.exp(logits[row + j] - m);
      this.lossSum += m + Math.log(sum) - logits[row + y];
    }
    this.n += n;
  }

  result(): AccuracyResult {
    const K = this.classes;
    const confusion: number[][] = [];
    const perClass: AccuracyResult['perClass'] = [];
    for (let t = 0; t < K; t++) {
      const row = Array.from(this.confusion.subarray(t * K, (t + 1) * K));
      confusion.push(row);
      const cnt = row.reduce((a, b) => a + b, 0);
      perClass.push({ label: t, n: cnt, top1: cnt > 0 ? row[t] / cnt : 0 });
    }
    const n = this.n;
    return {
      n,
      top1: n > 0 ? this.correct1 / n : 0,
      top5: n > 0 ? this.correct5 / n : 0,
      perClass,
      confusion,
      meanLoss: n > 0 ? this.lossSum / n : 0,
    };
  }
}
