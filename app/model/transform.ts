/**
 * The preprocessing pipeline as stored in projects and export metadata: an ordered list of
 * torchvision-named steps with their arguments (plain JSON). The code that runs it lives in
 * app/data (transform.ts, pil-resample.ts, tensor-ops.ts); this file holds only the types so the
 * IR can name them.
 */

/** torchvision's InterpolationMode names (lower case, as its `.value`). */
export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'box' | 'hamming' | 'lanczos';

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

export type TransformStep =
  /** `size` a number: the shorter side becomes it; [h, w]: exactly that size. */
  | { op: 'Resize'; size: number | [number, number]; interpolation: Interpolation; maxSize?: number; antialias?: boolean }
  | { op: 'CenterCrop'; size: [number, number] }
  /** padding = [left, top, right, bottom]; fill one value or one per channel (0–255 on images, floats on tensors). */
  | { op: 'Pad'; padding: [number, number, number, number]; fill: number | number[]; paddingMode: PaddingMode }
  | { op: 'Grayscale'; numOutputChannels: 1 | 3 }
  | { op: 'ToTensor' }
  | { op: 'Normalize'; mean: number[]; std: number[] };
