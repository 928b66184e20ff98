/**
 * The app's state (Svelte 5 runes) and the actions the views call: open a model, run the
 * statistics job, preview and run a prune, undo, cancel; choose files and folders (the desktop's
 * native dialog, else the app's own browser dialog), open dropped or uploaded files, keep the
 * recent files. Every call goes through the api contract (api.ts); every failure lands in
 * `ui.error` as a readable sentence.
 */
import {
  PRUNE_DEFAULTS,
  type DataChoice,
  type JobEvent,
  type JobKind,
  type JobQueued,
  type JobResults,
  type ModelFormatDto,
  type ModelInfo,
  type PlanPreview,
  type PreprocessPreviewDto,
  type PruneReport,
  type PruneSettingsDto,
  type BrowseKind,
  type RecentFile,
  type ZooListItem,
} from '../../app/api/contract.js';
import { getApi, readableError, uploadModel } from './api.js';
import { formatsInWords, isModelFile } from './model-formats.js';
import { dirName } from './paths.js';
import { advanceSince, estimateEta, type EtaSince } from '../../app/util/eta.js';

/** What the app's own dialog asks for: a model file, a folder, or where to save the session. */
export type DialogKind = BrowseKind | 'save';

export type View = 'start' | 'model' | 'importance' | 'prune' | 'finetune' | 'compare' | 'export';

export interface JobView {
  id: string;
  kind: JobKind;
  title: string;
  label: string;
  done: number;
  total: number;
  /** When the job was started (ms). */
  startedAt: number;
  /** Seconds left: the job's own estimate (training) or the rate of its current step so far. */
  eta?: number;
  since?: EtaSince;
}

/** How the last job ended, shown in the job panel until the next one starts or it is dismissed. */
export interface JobOutcome {
  kind: JobKind;
  title: string;
  outcome: 'done' | 'cancelled' | 'failed';
  seconds: number;
}

export const ui = $state({
  view: 'start' as View,
  version: '',
  zoo: null as ZooListItem[] | null,
  criteria: [] as string[],
  /** The model formats the API reads (every list of model files is made from them). */
  modelFormats: [] as ModelFormatDto[],
  model: null as ModelInfo | null,
  /** Every model of the session, in the order it was opened or made (what Compare offers). */
  models: [] as ModelInfo[],
  /** Name of the SE block shown in the Channel importance view. */
  selectedSe: '',
  data: { data: 'fashion-mnist', split: 'train', limit: 200, seed: 0, preprocess: { mean: [0], std: [1], channels: 1 } } as DataChoice,
  prune: structuredClone(PRUNE_DEFAULTS) as PruneSettingsDto,
  preview: null as PlanPreview | null,
  previewError: '',
  report: null as PruneReport | null,
  /** The model the prune report made (the report shows while it is current). */
  reportFor: '',
  job: null as JobView | null,
  lastJob: null as JobOutcome | null,
  /** A short status of a quick call in flight (e.g. opening a model). */
  busy: '',
  error: '',
  theme: 'auto' as 'auto' | 'light' | 'dark',
  /** Models and dataset folders opened before (null until loaded). */
  recent: null as RecentFile[] | null,
  /** Counts finished statistics runs (per-block statistics fetched before are then stale). */
  statsRuns: 0,
  /** The app's own open dialog, when it is showing. */
  dialog: null as { kind: DialogKind; title: string; start: string } | null,
  /** Where the session was last saved ('' before the first Save). */
  savedPath: '',
  /** Whether the session has work a Save has not kept (statistics, prunes, fine-tunes since). */
  unsaved: false,
});

type Pending = { resolve: (r: unknown) => void; reject: (e: Error) => void };
// Bookkeeping of job promises, not UI state: plain Maps on purpose.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const pending = new Map<string, Pending>();
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const early = new Map<string, JobEvent[]>();
let subscribed = false;
/** Called with every progress event of a job this page started (the Fine-tune view charts them). */
// eslint-disable-next-line svelte/prefer-svelte-reactivity
export const progressListeners = new Set<(e: Extract<JobEvent, { type: 'progress' }>) => void>();

/** What the status bar says while a job waits for others (at most `limit` run at once). */
export function queuedLabel(q: JobQueued): string {
  const ahead = q.position === 1 ? 'next in line' : `${q.position - 1} ahead of it`;
  return `queued: ${ahead}; ${q.limit} job${q.limit === 1 ? '' : 's'} run at once`;
}

function onEvent(e: JobEvent): void {
  const p = pending.get(e.jobId);
  if (!p) {
    // The event beat the call's answer: keep it until the job is claimed.
    early.set(e.jobId, [...(early.get(e.jobId) ?? []), e]);
    return;
  }
  if (e.type === 'queued') {
    if (ui.job?.id === e.jobId) Object.assign(ui.job, { label: queuedLabel(e), done: 0, total: 0 });
    return;
  }
  if (e.type === 'progress') {
    if (ui.job?.id === e.jobId) {
      const now = Date.now();
      const since = advanceSince(ui.job.since, now, e.done, e.total);
      Object.assign(ui.job, { label: e.label, done: e.done, total: e.total, since, eta: e.train?.etaSeconds ?? estimateEta(since, now, e.done, e.total) });
    }
    for (const l of progressListeners) l(e);
    return;
  }
  pending.delete(e.jobId);
  if (ui.job?.id === e.jobId) {
    const outcome = e.type === 'done' ? 'done' : e.type === 'error' ? 'failed' : 'cancelled';
    ui.lastJob = { kind: ui.job.kind, title: ui.job.title, outcome, seconds: (Date.now() - ui.job.startedAt) / 1000 };
    ui.job = null;
  }
  if (e.type === 'done') p.resolve(e.result);
  else if (e.type === 'error') p.reject(new Error(e.message));
  else p.reject(new Error('cancelled'));
}

/** Starts a job and waits for its result; null when it was cancelled. */
export async function runJob<K extends JobKind>(kind: K, title: string, start: () => Promise<{ jobId: string; queued?: JobQueued }>): Promise<JobResults[K] | null> {
  if (!subscribed) {
    getApi().onJobEvent(onEvent);
    subscribed = true;
  }
  ui.error = '';
  ui.lastJob = null;
  const startedAt = Date.now();
  ui.job = { id: '', kind, title, label: 'starting', done: 0, total: 0, startedAt };
  let started: { jobId: string; queued?: JobQueued };
  try {
    started = await start();
  } catch (e) {
    ui.job = null;
    ui.lastJob = { kind, title, outcome: 'failed', seconds: (Date.now() - startedAt) / 1000 };
    throw e;
  }
  ui.job = { id: started.jobId, kind, title, label: started.queued ? queuedLabel(started.queued) : 'starting', done: 0, total: 0, startedAt };
  const result = new Promise<unknown>((resolve, reject) => pending.set(started.jobId, { resolve, reject }));
  for (const e of early.get(started.jobId) ?? []) onEvent(e);
  early.delete(started.jobId);
  try {
    return (await result) as JobResults[K];
  } catch (e) {
    if (e instanceof Error && e.message === 'cancelled') return null;
    throw e;
  }
}

async function guarded(busy: string, work: () => Promise<void>): Promise<void> {
  ui.error = '';
  ui.busy = busy;
  try {
    await work();
  } catch (e) {
    ui.error = readableError(e);
  } finally {
    ui.busy = '';
  }
}

export async function loadStart(): Promise<void> {
  const api = getApi();
  api.version().then((v) => (ui.version = v), () => (ui.version = ''));
  try {
    ui.zoo = await api.listZoo();
  } catch (e) {
    ui.error = `Could not load the model zoo: ${readableError(e)}`;
  }
  api.listCriteria().then((c) => (ui.criteria = c), () => (ui.criteria = [PRUNE_DEFAULTS.criterion]));
  api.modelFormats().then((f) => (ui.modelFormats = f), () => (ui.modelFormats = []));
  void loadRecent();
}

export async function loadRecent(): Promise<void> {
  try {
    ui.recent = await getApi().recentFiles();
  } catch (e) {
    ui.recent = [];
    ui.error = `Could not read the recent files: ${readableError(e)}`;
  }
}

export async function forgetRecent(f: RecentFile): Promise<void> {
  try {
    ui.recent = await getApi().forgetRecent({ path: f.path, kind: f.kind });
  } catch (e) {
    ui.error = readableError(e);
  }
}

let answerDialog: ((path: string | null) => void) | null = null;

/**
 * Asks the user for a model file or a folder: Electron's native dialog on the desktop, else (and
 * when the native one fails) the app's own dialog over the api's file browser. Null when dismissed.
 */
export async function choosePath(kind: DialogKind, title: string, start = ''): Promise<string | null> {
  const desktop = getApi().desktop;
  if (desktop) {
    try {
      return kind === 'save' ? await desktop.showSaveDialog({ title, ...(start ? { defaultPath: start } : {}) }) : await desktop.showOpenDialog({ kind, title });
    } catch {
      // no native dialog here: fall through to the app's own
    }
  }
  answerDialog?.(null);
  return new Promise((resolve) => {
    answerDialog = resolve;
    ui.dialog = { kind, title, start };
  });
}

/** Called by the dialog component with the chosen path, or null when dismissed. */
export function closeDialog(path: string | null): void {
  ui.dialog = null;
  const answer = answerDialog;
  answerDialog = null;
  answer?.(path);
}

/** Called when another model becomes the current one: settings that depend on it follow (model-actions.svelte.ts). */
// eslint-disable-next-line svelte/prefer-svelte-reactivity
const modelChangeListeners = new Set<(next: ModelInfo, prev: ModelInfo | null) => void>();
export function onModelChange(l: (next: ModelInfo, prev: ModelInfo | null) => void): void {
  modelChangeListeners.add(l);
}

/** Why `m` cannot stand beside `cur` (teacher, compare): it takes other images or gives other classes; '' when it can. */
export function incompatibility(m: ModelInfo, cur: ModelInfo): string {
  const shape = (x: ModelInfo): string => x.summary.inputs[0]?.shape.join('×') ?? '?';
  const classes = (x: ModelInfo): number => x.summary.outputs[0]?.shape.at(-1) ?? 0;
  if (shape(m) !== shape(cur)) return `it takes ${shape(m)} inputs, the current model ${shape(cur)}`;
  if (classes(m) !== classes(cur)) return `it gives ${classes(m)} classes, the current model ${classes(cur)}`;
  return '';
}

export function setModel(m: ModelInfo): void {
  const prev = ui.model ? $state.snapshot(ui.model) : null;
  ui.model = m;
  const i = ui.models.findIndex((x) => x.id === m.id);
  if (i < 0) ui.models.push(m);
  else ui.models[i] = m;
  ui.preview = null;
  ui.previewError = '';
  if (!m.summary.seBlocks.some((b) => b.name === ui.selectedSe)) ui.selectedSe = m.summary.seBlocks[0]?.name ?? '';
  if (prev?.id !== m.id) {
    if (ui.reportFor !== m.id) ui.report = null;
    for (const l of modelChangeListeners) l(m, prev as ModelInfo | null);
  }
}

/** Makes a model of the session the current one (the header's model list). */
export function chooseModel(id: string): void {
  const m = ui.models.find((x) => x.id === id);
  if (m) setModel(m);
}

function opened(m: ModelInfo): void {
  setModel(m);
  // A saved session brings its other models along; the host's list is the session's.
  getApi()
    .sessionModels()
    .then(
      (ms) => {
        if (ms.some((x) => x.id === m.id)) ui.models = ms;
      },
      () => {},
    );
  ui.report = null;
  ui.data = { ...ui.data, preprocess: structuredClone($state.snapshot(m.preprocessing)) };
  ui.view = 'model';
}

export function openModel(spec: string): Promise<void> {
  return guarded(`Opening ${spec}…`, async () => {
    opened(await getApi().openModel({ model: spec }));
    if (!spec.startsWith('zoo:')) void loadRecent();
  });
}

const isModelName = (n: string): boolean => isModelFile(ui.modelFormats, n);

/**
 * Opens files the user dropped or picked with a file input: by their paths on the desktop, else
 * by uploading them to the browser host (a TF.js model.json goes with its weight files).
 */
export function openFiles(files: File[]): Promise<void> {
  const models = files.filter((f) => isModelName(f.name));
  const label = models.length === 1 ? models[0].name : `${files.length} files`;
  return guarded(`Opening ${label}…`, async () => {
    if (files.length === 0) return;
    if (models.length !== 1) {
      throw new Error(
        models.length === 0
          ? `Drop or choose a model: ${formatsInWords(ui.modelFormats)}.`
          : `Open one model at a time (you chose ${models.map((f) => f.name).join(', ')}).`,
      );
    }
    const desktop = getApi().desktop;
    const path = desktop?.pathForFile(models[0]);
    if (path) opened(await getApi().openModel({ model: path }));
    else if (desktop) throw new Error(`${models[0].name} has no path on this machine (was it dragged from a web page?); save it to a folder and open it with Open….`);
    else {
      ui.busy = `Uploading ${label} (${(files.reduce((a, f) => a + f.size, 0) / 1e6).toFixed(1)} MB)…`;
      opened(await uploadModel(files));
    }
    void loadRecent();
  });
}

/** Opens a model chosen in a dialog. */
export async function openModelDialog(): Promise<void> {
  const path = await choosePath('model', 'Open a model');
  if (path) await openModel(path);
}

/** Sets the calibration dataset to a folder chosen in a dialog. */
export async function chooseDataFolder(): Promise<void> {
  const cur = ui.data.data;
  const path = await choosePath('folder', 'Choose a dataset folder', cur.includes('/') || cur.includes('\\') ? cur : '');
  if (path) ui.data.data = path;
}

/** One image of the chosen dataset through the chosen preprocessing (the form's tensor view); null on failure. */
export async function previewTensor(): Promise<PreprocessPreviewDto | null> {
  try {
    const d = $state.snapshot(ui.data);
    return await getApi().previewPreprocessing({ data: d.data, split: d.split, preprocess: d.preprocess, ...(ui.model ? { modelId: ui.model.id } : {}) });
  } catch (e) {
    ui.error = readableError(e);
    return null;
  }
}

export async function runStats(): Promise<void> {
  const m = ui.model;
  if (!m) return;
  try {
    const r = await runJob('stats', 'Gate statistics', () => getApi().runStats({ modelId: m.id, ...$state.snapshot(ui.data) }));
    if (!r) return;
    ui.statsRuns++;
    ui.unsaved = true;
    if (ui.model?.id === r.modelId) {
      ui.model = { ...ui.model, stats: r.stats, classNames: r.classNames, statsData: $state.snapshot(ui.data) };
      await refreshPreview();
    }
    void loadRecent();
  } catch (e) {
    ui.error = readableError(e);
  }
}

let previewSeq = 0;
/** Asks the planner for the current settings; an out-of-date answer is dropped. */
export async function refreshPreview(): Promise<void> {
  const m = ui.model;
  if (!m) return;
  const seq = ++previewSeq;
  try {
    const p = await getApi().previewPrune({ modelId: m.id, ...$state.snapshot(ui.prune) });
    if (seq !== previewSeq) return;
    ui.preview = p;
    ui.previewError = '';
  } catch (e) {
    if (seq !== previewSeq) return;
    ui.preview = null;
    ui.previewError = readableError(e);
  }
}

export async function runPrune(): Promise<void> {
  const m = ui.model;
  if (!m) return;
  try {
    const r = await runJob('prune', 'Pruning', () => getApi().prune({ modelId: m.id, ...$state.snapshot(ui.prune) }));
    if (!r) return;
    ui.reportFor = r.model.id;
    ui.report = r.report;
    ui.unsaved = true;
    setModel(r.model);
    await refreshPreview();
  } catch (e) {
    ui.error = readableError(e);
  }
}

export function undo(): Promise<void> {
  const m = ui.model;
  if (!m) return Promise.resolve();
  return guarded('Undoing…', async () => {
    setModel(await getApi().undo({ modelId: m.id }));
    ui.report = null;
    await refreshPreview();
  });
}

export async function cancelJob(): Promise<void> {
  const id = ui.job?.id;
  if (!id) return;
  ui.job = ui.job ? { ...ui.job, label: 'cancelling' } : null;
  try {
    await getApi().cancelJob({ jobId: id });
  } catch (e) {
    ui.error = readableError(e);
  }
}

/**
 * Saves the whole session (every model, its statistics and history) as one .seprune: to where it
 * was saved before, or (`as`, or the first time) where the user chooses.
 */
export async function saveSession(as = false): Promise<void> {
  const m = ui.model;
  if (!m) return;
  const path = !as && ui.savedPath ? ui.savedPath : await choosePath('save', 'Save the session', getApi().desktop ? ui.savedPath : dirName(ui.savedPath));
  if (!path) return;
  await guarded('Saving the session…', async () => {
    // Replacing was asked about in the dialog (or it is this session's own file).
    const r = await getApi().saveProject({ modelId: m.id, path, force: true });
    ui.savedPath = r.path;
    ui.unsaved = false;
  });
}

/** What the page keeps across a reload of this tab (the host keeps the models themselves). */
interface KeptUi {
  currentId: string;
  view: View;
  data: DataChoice;
  prune: PruneSettingsDto;
  report: PruneReport | null;
  reportFor: string;
  selectedSe: string;
  savedPath: string;
  unsaved: boolean;
  /** The views' own settings and results (model-actions.svelte.ts). */
  views?: unknown;
}

const KEPT_KEY = 'seprune-session';

/** Writes what a reload must restore; `views` is the views' own part. Called from an effect, so it tracks what it reads. */
export function keepUi(views: unknown): void {
  if (!ui.model) return;
  const kept: KeptUi = {
    currentId: ui.model.id,
    view: ui.view,
    data: $state.snapshot(ui.data),
    prune: $state.snapshot(ui.prune),
    report: $state.snapshot(ui.report),
    reportFor: ui.reportFor,
    selectedSe: ui.selectedSe,
    savedPath: ui.savedPath,
    unsaved: ui.unsaved,
    views,
  };
  try {
    sessionStorage.setItem(KEPT_KEY, JSON.stringify(kept));
  } catch {
    // storage off or full: a reload then starts from the host's models alone
  }
}

function keptUi(): KeptUi | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(KEPT_KEY) ?? 'null') as KeptUi | null;
    return v && typeof v === 'object' && typeof v.currentId === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * After a reload: the models the host still holds come back, with the current one, the view and
 * the settings this tab kept; `restoreViews` gets the views' own part. Nothing when the host holds none.
 */
export async function restoreSession(restoreViews: (v: unknown) => void): Promise<void> {
  let models: ModelInfo[];
  try {
    models = await getApi().sessionModels();
  } catch {
    return;
  }
  if (!models.length) return;
  const kept = keptUi();
  ui.models = models;
  const cur = models.find((m) => m.id === kept?.currentId) ?? models[models.length - 1];
  setModel(cur);
  if (kept && kept.currentId === cur.id) {
    Object.assign(ui, { view: kept.view, data: kept.data, prune: kept.prune, report: kept.report, reportFor: kept.reportFor, savedPath: kept.savedPath, unsaved: kept.unsaved });
    if (cur.summary.seBlocks.some((b) => b.name === kept.selectedSe)) ui.selectedSe = kept.selectedSe;
    restoreViews(kept.views);
  } else {
    ui.view = 'model';
    ui.data = { ...ui.data, preprocess: structuredClone($state.snapshot(cur.preprocessing)) };
  }
}

export function applyTheme(): void {
  const root = document.documentElement;
  if (ui.theme === 'auto') delete root.dataset.theme;
  else root.dataset.theme = ui.theme;
}
