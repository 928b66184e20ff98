/**
 * The app's state (Svelte 5 runes) and the actions the views call: open a model, run the
 * statistics job, preview and run a prune, undo, cancel. Every call goes through the api
 * contract (api.ts); every failure lands in `ui.error` as a readable sentence.
 */
import {
  PRUNE_DEFAULTS,
  type DataChoice,
  type JobEvent,
  type JobKind,
  type JobResults,
  type ModelInfo,
  type PlanPreview,
  type PruneReport,
  type PruneSettingsDto,
  type ZooListItem,
} from '../../app/api/contract.js';
import { getApi, readableError } from './api.js';

export type View = 'start' | 'model' | 'importance' | 'prune' | 'finetune' | 'compare' | 'export';

export interface JobView {
  id: string;
  kind: JobKind;
  title: string;
  label: string;
  done: number;
  total: number;
}

export const ui = $state({
  view: 'start' as View,
  version: '',
  zoo: null as ZooListItem[] | null,
  criteria: [] as string[],
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
  job: null as JobView | null,
  /** A short status of a quick call in flight (e.g. opening a model). */
  busy: '',
  error: '',
  theme: 'auto' as 'auto' | 'light' | 'dark',
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

function onEvent(e: JobEvent): void {
  const p = pending.get(e.jobId);
  if (!p) {
    // The event beat the call's answer: keep it until the job is claimed.
    early.set(e.jobId, [...(early.get(e.jobId) ?? []), e]);
    return;
  }
  if (e.type === 'progress') {
    if (ui.job?.id === e.jobId) Object.assign(ui.job, { label: e.label, done: e.done, total: e.total });
    for (const l of progressListeners) l(e);
    return;
  }
  pending.delete(e.jobId);
  if (ui.job?.id === e.jobId) ui.job = null;
  if (e.type === 'done') p.resolve(e.result);
  else if (e.type === 'error') p.reject(new Error(e.message));
  else p.reject(new Error('cancelled'));
}

/** Starts a job and waits for its result; null when it was cancelled. */
export async function runJob<K extends JobKind>(kind: K, title: string, start: () => Promise<{ jobId: string }>): Promise<JobResults[K] | null> {
  if (!subscribed) {
    getApi().onJobEvent(onEvent);
    subscribed = true;
  }
  ui.error = '';
  ui.job = { id: '', kind, title, label: 'starting', done: 0, total: 0 };
  let started: { jobId: string };
  try {
    started = await start();
  } catch (e) {
    ui.job = null;
    throw e;
  }
  ui.job = { id: started.jobId, kind, title, label: 'starting', done: 0, total: 0 };
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
}

export function setModel(m: ModelInfo): void {
  ui.model = m;
  const i = ui.models.findIndex((x) => x.id === m.id);
  if (i < 0) ui.models.push(m);
  else ui.models[i] = m;
  ui.preview = null;
  ui.previewError = '';
  if (!m.summary.seBlocks.some((b) => b.name === ui.selectedSe)) ui.selectedSe = m.summary.seBlocks[0]?.name ?? '';
}

export function openModel(spec: string): Promise<void> {
  return guarded(`Opening ${spec}…`, async () => {
    const m = await getApi().openModel({ model: spec });
    setModel(m);
    ui.report = null;
    ui.data = { ...ui.data, preprocess: structuredClone($state.snapshot(m.preprocessing)) };
    ui.view = 'model';
  });
}

export async function runStats(): Promise<void> {
  const m = ui.model;
  if (!m) return;
  try {
    const r = await runJob('stats', 'Gate statistics', () => getApi().runStats({ modelId: m.id, ...$state.snapshot(ui.data) }));
    if (!r) return;
    if (ui.model?.id === r.modelId) {
      ui.model = { ...ui.model, stats: r.stats, classNames: r.classNames, statsData: $state.snapshot(ui.data) };
      await refreshPreview();
    }
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
    setModel(r.model);
    ui.report = r.report;
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

export function applyTheme(): void {
  const root = document.documentElement;
  if (ui.theme === 'auto') delete root.dataset.theme;
  else root.dataset.theme = ui.theme;
}
