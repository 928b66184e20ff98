/** Options every zoo builder takes; `zoo:<name>?key=value&...` sets them (see index.ts). */
export interface ZooConfig {
  /** Per-sample input [H, W, C]. */
  input: [number, number, number];
  classes: number;
  /** Width multiplier on every channel count (rounded as each family's paper does). */
  width: number;
  /** SE reduction ratio: hidden = channels / r (rounded per family). */
  r: number;
  se: boolean;
  seBias: boolean;
  /** Seed for the weight initialisation. */
  seed: number;
}

/** Round to the nearest multiple of `divisor`, never below it nor under 90% of v (MobileNetV2/V3). */
export function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return n < 0.9 * v ? n + divisor : n;
}

/** Hidden width of an SE block on `channels` with reduction r (at least 1). */
export function seHidden(channels: number, r: number): number {
  return Math.max(1, Math.floor(channels / r));
}

/** Stride of a stem/downsampling step that keeps tiny inputs from collapsing to nothing. */
export function isSmallInput(cfg: ZooConfig): boolean {
  return Math.min(cfg.input[0], cfg.input[1]) < 64;
}
