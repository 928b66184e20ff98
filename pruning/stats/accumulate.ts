/**
 * Streaming accumulator of the excitation statistics defined in ./types.ts: one pass over the
 * calibration batches, memory O(C · classes + C · bins) per block whatever the number of images.
 *
 * Numerics: per-channel mean and variance by Welford's update in float64; per-class sums and
 * the |1 − s| sum in float64 (gates are in [0, 1], so sums stay exact enough for any N a
 * calibration run sees). classDependence is the population std across the per-class means of
 * the classes that have images (an empty class, filled with the overall mean for
 * `perClassMean`, would only pull it towards 0). A NaN gate is a bug upstream and throws.
 */
import type { ExcitationStats, SeBlockStats } from './types.js';

interface BlockState {
  name: string;
  channels: number;
  mean: Float64Array;
  m2: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** [classes, C] sums of s. */
  classSum: Float64Array;
  /** [C, bins] counts. */
  hist: Float64Array;
  identitySum: number;
}

export class StatsAccumulator {
  private readonly blocks: BlockState[];
  private readonly classCount: Float64Array;
  private n = 0;

  constructor(
    blocks: { name: string; channels: number }[],
    private readonly classes: number,
    private readonly bins = 20,
  ) {
    if (!(Number.isInteger(classes) && classes > 0)) throw new Error(`classes must be a positive integer, not ${classes}`);
    if (!(Number.isInteger(bins) && bins > 0)) throw new Error(`bins must be a positive integer, not ${bins}`);
    this.classCount = new Float64Array(classes);
    this.blocks = blocks.map(({ name, channels }) => ({
      name,
      channels,
      mean: new Float64Array(channels),
      m2: new Float64Array(channels),
      min: new Float64Array(channels).fill(Infinity),
      max: new Float64Array(channels).fill(-Infinity),
      classSum: new Float64Array(classes * channels),
      hist: new Float64Array(channels * bins),
      identitySum: 0,
    }));
  }

  /** Adds one batch: gates name → [n, C] (row-major), labels [n]. */
  add(gates: Map<string, Float32Array>, labels: Int32Array): void {
    const n = labels.length;
    for (let i = 0; i < n; i++) {
      const k = labels[i];
      if (!(Number.isInteger(k) && k >= 0 && k < this.classes)) throw new Error(`label ${k} is outside the ${this.classes} classes`);
    }
    for (const b of this.blocks) {
      const g = gates.get(b.name);
      if (!g) throw new Error(`no gate values for SE block ${b.name}`);
      if (g.length !== n * b.channels) {
        throw new Error(`SE block ${b.name}: expected ${n}×${b.channels} gate values, got ${g.length}`);
      }
    }
    for (const b of this.blocks) this.addBlock(b, gates.get(b.name)!, labels);
    for (let i = 0; i < n; i++) this.classCount[labels[i]]++;
    this.n += n;
  }

  private addBlock(b: BlockState, g: Float32Array, labels: Int32Array): void {
    const C = b.channels;
    const bins = this.bins;
    let identity = 0;
    for (let i = 0; i < labels.length; i++) {
      const count = this.n + i + 1;
      const row = i * C;
      const cls = labels[i] * C;
      for (let c = 0; c < C; c++) {
        const s = g[row + c];
        if (Number.isNaN(s)) throw new Error(`SE block ${b.name} produced a NaN gate (channel ${c})`);
        const d = s - b.mean[c];
        b.mean[c] += d / count;
        b.m2[c] += d * (s - b.mean[c]);
        if (s < b.min[c]) b.min[c] = s;
        if (s > b.max[c]) b.max[c] = s;
        b.classSum[cls + c] += s;
        let bin = Math.floor(s * bins);
        if (bin >= bins) bin = bins - 1;
        else if (bin < 0) bin = 0;
        b.hist[c * bins + bin]++;
        identity += Math.abs(1 - s);
      }
    }
    b.identitySum += identity;
  }

  /** Number of images added so far. */
  get count(): number {
    return this.n;
  }

  finish(meta: Omit<ExcitationStats, 'blocks' | 'n' | 'classes' | 'emptyClasses'>): ExcitationStats {
    if (this.n === 0) throw new Error('no images were added to the statistics');
    const emptyClasses: number[] = [];
    for (let k = 0; k < this.classes; k++) if (this.classCount[k] === 0) emptyClasses.push(k);
    const present = this.classes - emptyClasses.length;
    const blocks: SeBlockStats[] = this.blocks.map((b) => {
      const C = b.channels;
      const std = Array.from(b.m2, (m2) => Math.sqrt(Math.max(m2, 0) / this.n));
      const perClassMean: number[][] = [];
      for (let k = 0; k < this.classes; k++) {
        const cnt = this.classCount[k];
        perClassMean.push(Array.from({ length: C }, (_, c) => (cnt > 0 ? b.classSum[k * C + c] / cnt : b.mean[c])));
      }
      let classStdSum = 0;
      for (let c = 0; c < C; c++) {
        let mu = 0;
        for (let k = 0; k < this.classes; k++) if (this.classCount[k] > 0) mu += perClassMean[k][c];
        mu /= present;
        let v = 0;
        for (let k = 0; k < this.classes; k++) if (this.classCount[k] > 0) v += (perClassMean[k][c] - mu) ** 2;
        classStdSum += Math.sqrt(v / present);
      }
      const counts: number[][] = [];
      for (let c = 0; c < C; c++) counts.push(Array.from(b.hist.subarray(c * this.bins, (c + 1) * this.bins)));
      return {
        name: b.name,
        channels: C,
        mean: Array.from(b.mean),
        std,
        min: Array.from(b.min),
        max: Array.from(b.max),
        perClassMean,
        histogram: { bins: this.bins, counts },
        identityDistance: C > 0 ? b.identitySum / (this.n * C) : 0,
        inputDependence: C > 0 ? std.reduce((a, v) => a + v, 0) / C : 0,
        classDependence: C > 0 ? classStdSum / C : 0,
      };
    });
    return { ...meta, n: this.n, classes: this.classes, emptyClasses, blocks };
  }
}
