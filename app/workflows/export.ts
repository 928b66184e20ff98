/**
 * The export job, written once for the CLI and the app: each target (format × precision × output
 * path) is checked before any image is read, then written, verified in its runtimes and reported.
 * The CLI exports one target from its flags, the app every format and precision the user ticked.
 */
import type { Graph } from '../model/ir.js';
import type { Progress } from '../util/progress.js';
import { exportModel, type ExportReport, type ExportRequest } from '../../export/export-model.js';
import { findExporter } from '../../export/registry.js';
import { checkOutput } from '../../export/write-output.js';
import type { ExportMetadata, Quant } from '../../export/types.js';
import type { EvalBatch } from '../../export/verify/measure.js';

export interface ExportTarget {
  format: string;
  quant: string;
  out: string;
}

export interface ExportWork {
  graph: Graph;
  meta: ExportMetadata;
  targets: ExportTarget[];
  force: boolean;
  /** Inputs no output may overwrite. */
  protect: string[];
  /** Writer settings (ONNX opset, TFLite hard-swish form and int8 input/output type, calibration method, gate-aware int8). */
  writer?: Pick<ExportRequest, 'opset' | 'hardSwish' | 'calibMethod' | 'gateAware' | 'io'>;
  /** Calibration images, needed when a target is int8. */
  calib?: EvalBatch[];
  /** Verify each written file in its runtimes (default true) on these images. */
  verify?: boolean;
  verifyData?: EvalBatch[];
  /** The unpruned model, exported the same way for a latency comparison. */
  baseline?: ExportRequest['baseline'];
  progress: Pick<Progress, 'update'>;
  /** Throws when the job was cancelled (checked after each target). */
  check?: () => void;
}

/** Whether any target needs calibration images. */
export const needsCalibration = (targets: readonly ExportTarget[]): boolean => targets.some((t) => t.quant === 'int8');

/** Refuses a target no writer makes, or an output that may not be written, before any work. */
export function checkExportTargets(targets: readonly ExportTarget[], o: { force: boolean; protect: string[] }): void {
  for (const t of targets) checkOutput(t.out, findExporter(t.format, t.quant).output, o);
}

export async function exportTargets(w: ExportWork): Promise<ExportReport[]> {
  const images = w.calib;
  const calib = images
    ? async function* () {
        yield* images;
      }
    : undefined;
  const reports: ExportReport[] = [];
  for (const [i, t] of w.targets.entries()) {
    w.progress.update(`writing and verifying ${t.format} ${t.quant}`, i, w.targets.length);
    reports.push(
      await exportModel({
        graph: w.graph,
        format: t.format,
        quant: t.quant as Quant,
        meta: w.meta,
        ...w.writer,
        ...(calib ? { calib } : {}),
        out: t.out,
        force: w.force,
        protect: w.protect,
        verify: w.verify ?? true,
        ...(w.verifyData ? { verifyData: w.verifyData } : {}),
        ...(w.baseline ? { baseline: w.baseline } : {}),
      }),
    );
    w.check?.();
  }
  w.progress.update('exported', w.targets.length, w.targets.length);
  return reports;
}
