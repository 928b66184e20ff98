/** One training progress event, as both engines report it and the app's page draws it (no imports: the page reads this file). */
export interface TrainProgress {
  /** 1-based epoch being trained, of `epochs`. */
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, of `steps`. */
  step: number;
  steps: number;
  /** Running mean loss and accuracy over this epoch so far. */
  loss: number;
  accuracy: number;
  lr: number;
  imagesPerSecond: number;
  etaSeconds: number;
}
