/**
 * Excitation statistics of a model's SE gates over a calibration set (the shape shared by the
 * statistics pass, the importance criteria, SE folding, the project file and the UI).
 *
 * Definitions (s = gate value of one channel for one image, in [0, 1]):
 * - mean, std, min, max: over the N calibration images, per channel (std is the population std).
 * - perClassMean[k][c]: mean of s over the images whose label is k (NaN-free: a class with no
 *   image gets the overall mean and is listed in `emptyClasses`).
 * - histogram.counts[c][b]: how many images put channel c's gate in bin b of `bins` equal bins
 *   over [0, 1] (a value of exactly 1 lands in the last bin).
 * - identityDistance: mean over images and channels of |1 − s| (0 = the block is the identity).
 * - inputDependence: mean over channels of the std across images (0 = a constant gate).
 * - classDependence: mean over channels of the std across the per-class means.
 */
export interface SeBlockStats {
  name: string;
  channels: number;
  mean: number[];
  std: number[];
  min: number[];
  max: number[];
  perClassMean: number[][];
  histogram: { bins: number; counts: number[][] };
  identityDistance: number;
  inputDependence: number;
  classDependence: number;
}

export interface ExcitationStats {
  /** Model source (zoo spec or file path) and its content hash, so stale stats are detected. */
  model: string;
  modelHash: string;
  /** Number of calibration images. */
  n: number;
  classes: number;
  emptyClasses: number[];
  seed: number;
  dataset: string;
  engine: string;
  blocks: SeBlockStats[];
}
