/**
 * The int8 size rule (issue 17's decision): an int8 file is at most 30 % of the same format's fp32
 * file for models of at least 100k parameters. Below that the fixed costs that int8 cannot shrink —
 * int32 biases, per-channel scales and zero points, the tensor and operator tables — are a visible
 * share of the file, so the size and those costs are reported and precision is not bent to meet it.
 */
export const SIZE_RULE_MIN_PARAMS = 100_000;
export const INT8_SIZE_RATIO = 0.3;

export interface Int8SizeReport {
  params: number;
  int8Bytes: number;
  fp32Bytes: number;
  /** int8 / fp32 bytes. */
  ratio: number;
  /** Whether the 30 % rule applies (params ≥ 100k). */
  applies: boolean;
  /** The rule met; null where it does not apply. */
  met: boolean | null;
  /** Bytes beyond one byte per parameter: what int8 cannot shrink (biases, scales, zero points, tables). */
  fixedBytes: number;
  note: string;
}

const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;

export function int8SizeReport(params: number, int8Bytes: number, fp32Bytes: number): Int8SizeReport {
  const ratio = int8Bytes / fp32Bytes;
  const applies = params >= SIZE_RULE_MIN_PARAMS;
  const met = applies ? ratio <= INT8_SIZE_RATIO : null;
  const fixedBytes = Math.max(0, int8Bytes - params);
  const head = `int8 file ${int8Bytes} B = ${pct(ratio)} of the fp32 file (${fp32Bytes} B)`;
  const fixed = `${fixedBytes} B (${pct(fixedBytes / int8Bytes)} of it) beyond one byte per parameter: int32 biases, scales, zero points, tensor and operator tables`;
  const note = applies
    ? `${head}: ${met ? 'meets' : 'misses'} the ${pct(INT8_SIZE_RATIO)} rule for models of ≥ 100k parameters (${params}); ${fixed}`
    : `${head}; ${params} parameters (< 100k, where the ${pct(INT8_SIZE_RATIO)} rule does not apply): ${fixed}`;
  return { params, int8Bytes, fp32Bytes, ratio, applies, met, fixedBytes, note };
}
