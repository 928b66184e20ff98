/**
 * State and actions of the Fine-tune, Compare and Export views: each runs one api job (with the
 * app's progress bar and Cancel), keeps its settings and last result, and lands failures in
 * `ui.error`. The dataset and preprocessing come from the Start view's choice (`ui.data`).
 */
import { EXPORT_DEFAULTS, type BackendInfo, type CompareResult, type DataChoice, type ExportFormatDto, type ExportResult, type FinetuneRequest, type FinetuneResult, type ModelInfo, type TrainProgressDto } from '../../../app/api/contract.js';
import { DEFAULT_SCHEDULE, DEFAULT_TEMPERATURE } from '../../../app/train/defaults.js';
import { getApi, readableError } from '../api.js';
import { incompatibility, onModelChange, progressListeners, runJob, setModel, ui } from '../state.svelte.js';

/** The export choice whose input/output type the form asks. */
export const TFLITE_INT8 = 'tflite/int8';

export const work = $state({
  compare: { ids: [] as string[], limit: 500, latency: true, result: null as CompareResult | null },
  export: {
    formats: [] as ExportFormatDto[],
    /** `format/quant` keys chosen. */
    chosen: ['onnx/int8'] as string[],
    outDir: '',
    limit: 200,
    force: false,
    /** TFLite int8 input/output type (asked only when TFLite int8 is chosen). */
    tfliteIo: EXPORT_DEFAULTS.tfliteIo,
    result: null as ExportResult | null,
  },
  finetune: {
    epochs: 1,
    batchSize: 32,
    /** Empty for the optimiser's default. */
    lr: '' as string | number,
    optimizer: 'sgd' as 'sgd' | 'adamw',
    /** Learning-rate schedule and distillation temperature (the CLI's defaults). */
    schedule: DEFAULT_SCHEDULE as NonNullable<FinetuneRequest['schedule']>,
    temperature: DEFAULT_TEMPERATURE,
    /** '' for no teacher; set to the model before pruning when the view opens. */
    teacherId: '',
    limit: 1000,
    evalLimit: 500,
    backend: null as BackendInfo | null,
    /** Training engine and torch device (auto: torch when present, on CUDA, then MPS, then CPU). */
    engine: 'auto' as 'auto' | 'torch' | 'tfjs',
    device: 'auto',
    log: [] as TrainProgressDto[],
    status: '' as '' | 'running' | 'done' | 'cancelled' | 'failed',
    result: null as FinetuneResult | null,
  },
});

/** The first model of `m`'s parent chain (the model before any pruning or fine-tuning). */
export function rootOf(m: ModelInfo): ModelInfo {
  let cur = m;
  for (let i = 0; i < 100 && cur.origin.parent; i++) {
    const p = ui.models.find((x) => x.id === cur.origin.parent);
    if (!p) break;
    cur = p;
  }
  return cur;
}

/** The teacher the Fine-tune view starts from: the model before pruning, when it fits; '' for none. */
export function defaultTeacher(m: ModelInfo): string {
  const root = rootOf(m);
  return root.id !== m.id && !root.readOnly && !incompatibility(root, m) ? root.id : '';
}

/** The Compare view's starting choice: the model before pruning, then the current one. */
export function defaultCompare(m: ModelInfo): string[] {
  const root = rootOf(m);
  return root.id === m.id || incompatibility(root, m) ? [m.id] : [root.id, m.id];
}

// Another model became current: what belonged to the previous one goes, choices are made again.
onModelChange((next) => {
  const f = work.finetune;
  if (f.result?.model.id !== next.id) {
    f.log = [];
    f.status = '';
    f.result = null;
  }
  f.teacherId = defaultTeacher(next);
  work.compare.ids = defaultCompare(next);
  if (work.export.result?.modelId !== next.id) work.export.result = null;
});

/** The views' settings and last results, as a reload of the tab keeps them (state.svelte.ts keepUi). */
export function viewsToKeep(): unknown {
  const { formats: _formats, ...exp } = work.export;
  const { backend: _backend, log: _log, ...ft } = work.finetune;
  void _formats;
  void _backend;
  void _log;
  return $state.snapshot({ compare: work.compare, export: exp, finetune: ft });
}

/** Puts back what viewsToKeep kept (after a reload); anything malformed is left at its default. */
export function restoreViews(v: unknown): void {
  if (!v || typeof v !== 'object') return;
  const k = v as { compare?: Partial<typeof work.compare>; export?: Partial<typeof work.export>; finetune?: Partial<typeof work.finetune> };
  const alive = (id: string): boolean => ui.models.some((m) => m.id === id);
  if (k.compare) Object.assign(work.compare, k.compare, { ids: (k.compare.ids ?? []).filter(alive) });
  if (k.export) Object.assign(work.export, k.export, { formats: work.export.formats });
  if (k.finetune) Object.assign(work.finetune, k.finetune, { teacherId: alive(k.finetune.teacherId ?? '') ? k.finetune.teacherId : '', status: k.finetune.status === 'running' ? '' : k.finetune.status });
}

function dataFor(split: 'train' | 'test', limit: number): DataChoice {
  return { ...$state.snapshot(ui.data), split, limit };
}

export async function loadExportFormats(): Promise<void> {
  if (work.export.formats.length) return;
  try {
    work.export.formats = await getApi().exportFormats();
  } catch (e) {
    ui.error = readableError(e);
  }
}

export async function loadBackend(): Promise<void> {
  if (work.finetune.backend) return;
  try {
    work.finetune.backend = await getApi().trainBackend();
  } catch (e) {
    ui.error = readableError(e);
  }
}

export async function runCompare(): Promise<void> {
  const ids = [...work.compare.ids];
  try {
    const r = await runJob('compare', 'Comparing models', () => getApi().compare({ modelIds: ids, data: dataFor('test', work.compare.limit), latency: work.compare.latency }));
    if (r) work.compare.result = r;
  } catch (e) {
    ui.error = readableError(e);
  }
}

export async function runExport(): Promise<void> {
  const m = ui.model;
  if (!m) return;
  const targets = work.export.chosen.map((k) => {
    const [format, quant] = k.split('/');
    return { format, quant };
  });
  try {
    const r = await runJob('export', 'Exporting', () =>
      getApi().exportModel({
        modelId: m.id,
        outDir: work.export.outDir.trim(),
        targets,
        data: dataFor('test', work.export.limit),
        force: work.export.force,
        ...(work.export.chosen.includes(TFLITE_INT8) ? { tfliteIo: work.export.tfliteIo } : {}),
      }),
    );
    if (r) work.export.result = r;
  } catch (e) {
    ui.error = readableError(e);
  }
}

export async function runFinetune(): Promise<void> {
  const m = ui.model;
  if (!m) return;
  const f = work.finetune;
  f.log = [];
  f.result = null;
  f.status = 'running';
  const lr = f.lr === '' || f.lr === null ? null : Number(f.lr);
  const listen = (e: { jobId: string; train?: TrainProgressDto }): void => {
    if (e.train && ui.job?.kind === 'finetune' && ui.job.id === e.jobId) f.log.push(e.train);
  };
  progressListeners.add(listen);
  try {
    const r = await runJob('finetune', 'Fine-tuning', () =>
      getApi().finetune({
        modelId: m.id,
        data: dataFor('train', f.limit),
        epochs: f.epochs,
        batchSize: f.batchSize,
        lr,
        optimizer: f.optimizer,
        schedule: f.schedule,
        teacherId: f.teacherId || null,
        ...(f.teacherId ? { temperature: Number(f.temperature) } : {}),
        evalLimit: f.evalLimit,
        engine: f.engine,
        device: f.engine === 'tfjs' ? 'auto' : f.device,
      }),
    );
    if (!r) {
      f.status = 'cancelled';
      return;
    }
    f.result = r;
    f.status = 'done';
    ui.unsaved = true;
    setModel(r.model);
    ui.report = null;
  } catch (e) {
    f.status = 'failed';
    ui.error = readableError(e);
  } finally {
    progressListeners.delete(listen);
  }
}
