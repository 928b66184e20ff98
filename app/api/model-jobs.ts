/**
 * The api's jobs that act on whole session models: compare (the `seprune compare` report; an
 * exported file runs in its own runtime), export (every chosen format × precision into a folder,
 * each file verified in its runtimes) and fine-tune (the trainer with live loss/accuracy events,
 * distilling from a teacher). The service (service.ts) validates the request, looks the models up
 * and adds the fine-tuned model.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Graph } from '../model/ir.js';
import { UserError } from '../model/errors.js';
import type { Dataset } from '../data/index.js';
import { compareOn } from '../workflows/compare.js';
import { chooseBackend } from '../engine/backend.js';
import { autoWorkers, OPTIMIZER_KINDS, SCHEDULE_KINDS, type TrainProgress } from '../train/index.js';
import { checkTrainOptions } from '../train/plan.js';
import { chooseEngine, engineChoices, isDeviceSpec } from '../train/torch/index.js';
import { augmentFor, evaluateTrained, trainOn } from '../workflows/finetune.js';
import { modelExtensions } from '../import/index.js';
import { EXPORTERS, findExporter } from '../../export/registry.js';
import { exportedInference, openExported } from '../../export/open-exported.js';
import type { Inference } from '../engine/inference.js';
import { checkExportTargets, exportTargets, needsCalibration } from '../workflows/export.js';
import { readImages } from '../workflows/read-images.js';
import type { JobContext } from './jobs.js';
import type { CompareReportDto, DataChoice, ExportFileDto, ExportFormatDto, ExportRequestDto, FinetuneRequest, ModelInfo, PreprocessingDto } from './contract.js';

/** What a job needs of a session model. */
export interface SessionModel {
  info: ModelInfo;
  /** The IR: the model itself, or for an exported file the model it was exported from (params, MACs, input shape). */
  graph: Graph;
  fileBytes: number;
  /** An exported file opened read-only: where it is, so a job (in its own process too) opens it again in its runtime. */
  exportedPath?: string;
}

export type OpenData = (d: DataChoice, m: Pick<SessionModel, 'graph' | 'info'>, split: 'train' | 'test') => Promise<{ ds: Dataset; idx: number[] }>;

export function exportFormats(): ExportFormatDto[] {
  return EXPORTERS.map((e) => ({ format: e.format, quant: [...e.quant], output: e.output }));
}

/** A file name from a model's source: `zoo:se-resnet-demo (pruned)` → `se-resnet-demo-pruned`. */
export function baseName(source: string): string {
  const last = source.replace(/^zoo:/, '').split(/[\\/]/).pop() ?? 'model';
  const name = last
    .replace(new RegExp(`(${modelExtensions().map((e) => e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'g'), '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name || 'model';
}

/** Where each export target goes inside `outDir`. */
export function exportPaths(req: ExportRequestDto, source: string): { format: string; quant: string; out: string }[] {
  const base = baseName(source);
  return req.targets.map((t) => {
    const e = findExporter(t.format, t.quant);
    const out = e.output === 'folder' ? join(req.outDir, `${base}-${t.quant}-${t.format}`) : join(req.outDir, `${base}-${t.quant}.${e.extension ?? t.format}`);
    return { format: t.format, quant: t.quant, out };
  });
}

/** Checks an export request before its job starts: the folder, the targets, every output path. */
export function checkExport(req: ExportRequestDto, source: string, protect: string[]): void {
  if (!req.outDir?.trim()) throw new UserError('Choose an output folder on the machine running the app.');
  if (!existsSync(req.outDir) || !statSync(req.outDir).isDirectory()) throw new UserError(`The output folder ${req.outDir} does not exist.`);
  if (!Array.isArray(req.targets) || req.targets.length === 0) throw new UserError('Choose at least one format and precision to export.');
  if (req.tfliteIo !== undefined && req.tfliteIo !== 'float' && req.tfliteIo !== 'int8') throw new UserError('The TFLite int8 input and output type must be float or int8.');
  checkExportTargets(exportPaths(req, source), { force: req.force === true, protect });
}

export async function exportJob(m: SessionModel, req: ExportRequestDto, openData: OpenData, ctx: JobContext, protect: string[]): Promise<ExportFileDto[]> {
  const targets = exportPaths(req, m.info.source);
  const c = needsCalibration(targets) ? await openData(req.data, m, 'train') : undefined;
  const calib = c ? (await readImages(c.ds, c.idx, ctx.progress, 'reading calibration images')).batches : undefined;
  const v = await openData(req.data, m, 'test');
  const verifyData = (await readImages(v.ds, v.idx, ctx.progress, 'reading verification images')).batches;
  const meta = {
    source: m.info.source,
    sourceHash: m.info.hash,
    ...(m.info.classNames ? { labels: m.info.classNames } : {}),
    preprocessing: req.data.preprocess,
  };
  const writer = req.tfliteIo !== undefined ? { writer: { io: req.tfliteIo } } : {};
  const reports = await exportTargets({ graph: m.graph, meta, targets, force: req.force === true, protect, ...writer, ...(calib ? { calib } : {}), verifyData, progress: ctx.progress, check: ctx.check });
  return reports.map((r) => ({ file: r.file, format: r.format, quant: r.quant, bytes: r.bytes, notes: r.notes, keptFloat: r.keptFloat, verify: r.verifyAll.map((x) => ({ ...x })), written: writtenFiles(r.file) }));
}

/** The files an export target wrote: the file, or the plain files of its folder (TF.js), as absolute paths. */
export function writtenFiles(out: string): { path: string; bytes: number }[] {
  const at = resolve(out);
  if (!statSync(at).isDirectory()) return [{ path: at, bytes: statSync(at).size }];
  return readdirSync(at, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(at, e.name))
    .sort()
    .map((p) => ({ path: p, bytes: statSync(p).size }));
}

export async function compareJob(models: SessionModel[], data: DataChoice, latency: boolean, openData: OpenData, ctx: JobContext): Promise<CompareReportDto> {
  const { ds, idx } = await openData(data, models[0], data.split);
  return compareOn(
    models.map((m) => ({ label: m.info.source, graph: m.graph, fileBytes: m.fileBytes, ...(m.exportedPath ? { open: openExportedFile(m.exportedPath) } : {}) })),
    ds,
    idx,
    { latency, progress: ctx.progress, check: ctx.check },
  );
}

/** An exported file's runtime, opened again from its path (the file the session opened). */
function openExportedFile(path: string): () => Promise<Inference> {
  return async () => {
    const m = await openExported(path);
    if (!m) throw new UserError(`${path} is no longer an exported model file; open it again from Start.`);
    return exportedInference(m);
  };
}

/** Checks a fine-tune request's numbers (before its job starts). */
export function checkFinetune(req: FinetuneRequest): void {
  if (!OPTIMIZER_KINDS.includes(req.optimizer)) throw new UserError(`The optimiser must be ${OPTIMIZER_KINDS.join(' or ')}.`);
  if (req.lr !== null && !Number.isFinite(req.lr)) throw new UserError('The learning rate must be a number above 0 (or empty for the default).');
  if (req.schedule !== undefined && !SCHEDULE_KINDS.includes(req.schedule)) throw new UserError(`The learning-rate schedule must be ${SCHEDULE_KINDS.join(', ')}.`);
  if (req.temperature !== undefined && !(Number.isFinite(req.temperature) && req.temperature > 0)) throw new UserError('The distillation temperature must be a number above 0.');
  checkTrainOptions({ epochs: req.epochs, batchSize: req.batchSize, optimizer: req.optimizer, ...(req.lr !== null ? { lr: req.lr } : {}), ...(req.temperature !== undefined ? { temperature: req.temperature } : {}) });
  if (!Number.isInteger(req.evalLimit) || req.evalLimit < 1) throw new UserError('The number of test images must be a whole number ≥ 1.');
  if (req.engine !== undefined && !engineChoices().includes(req.engine)) throw new UserError(`The training engine must be ${engineChoices().join(', ')}.`);
  if (req.device !== undefined && !isDeviceSpec(req.device)) throw new UserError('The device must be auto, cpu, cuda, cuda:N or mps.');
}

export interface FinetuneOutcome {
  graph: Graph;
  classNames: string[];
  preprocessing: PreprocessingDto;
  top1: number;
  top5: number;
  evalN: number;
  epochs: number;
  imagesPerSecond: number;
  backend: string;
  engine: string;
  device: string;
}

export async function finetuneJob(m: SessionModel, teacher: SessionModel | undefined, req: FinetuneRequest, openData: OpenData, ctx: JobContext): Promise<FinetuneOutcome> {
  const engine = chooseEngine(req.engine ?? 'auto', req.device ?? 'auto');
  const backend = engine.engine === 'tfjs' ? await chooseBackend() : undefined;
  ctx.progress.update(engine.engine === 'torch' ? `training with torch on ${engine.device}` : `training on ${backend!.name}`, 0, 1);
  const { ds, idx } = await openData(req.data, m, 'train');
  const pre = req.data.preprocess;
  const opts = {
    epochs: req.epochs,
    batchSize: req.batchSize,
    ...(req.lr !== null ? { lr: req.lr } : {}),
    optimizer: req.optimizer,
    ...(req.schedule !== undefined ? { schedule: req.schedule } : {}),
    augment: augmentFor(pre, { flip: true, shift: 2 }),
    ...(teacher ? { teacher: teacher.graph, ...(req.temperature !== undefined ? { temperature: req.temperature } : {}) } : {}),
    seed: req.data.seed,
    indices: idx,
    signal: ctx.signal,
    onProgress: (ev: TrainProgress) => ctx.train(`epoch ${ev.epoch}/${ev.epochs}`, ev),
  };
  const r = await trainOn({ graph: m.graph, ds, options: opts, engine, workers: autoWorkers() });
  const device = 'device' in r ? String(r.device) : (backend?.name ?? r.backend);
  ctx.check();
  const test = await openData({ ...req.data, limit: req.evalLimit }, { ...m, graph: r.graph }, 'test');
  const ev = await evaluateTrained(r.graph, test.ds, test.idx, ctx.progress, 'accuracy on the test split');
  return { graph: r.graph, classNames: ds.classes, preprocessing: pre, top1: ev.top1, top5: ev.top5, evalN: ev.n, epochs: r.epochs, imagesPerSecond: r.imagesPerSecond, backend: engine.engine === 'torch' ? `torch ${device}` : r.backend || backend!.name, engine: engine.engine, device };
}
