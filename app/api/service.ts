/**
 * The api's implementation: one session holding the models it opened or made, answering every
 * method of the contract (app/api/contract.ts) by calling the core — load, summary, datasets,
 * statistics, the prune pipeline, evaluation. Long jobs' work (job-work.ts) runs where the
 * JobHost says (job-host.ts: a process of its own in the app, this process in tests); the
 * session only looks models up before and adds what a job made after. The Electron main process
 * and the browser host both serve this one object; neither has logic of its own.
 */
import { torchInfo } from '../train/torch/index.js';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Graph, Node } from '../model/ir.js';
import { labelStagesByResolution } from '../model/stages.js';
import { fromPipeline, withPipeline } from '../data/transform.js';
import { checkPreprocessing } from '../data/preprocess.js';
import { graphHash } from '../model/graph-hash.js';
import { loadModel } from '../import/load.js';
import { modelFileNames, modelFormats } from '../import/index.js';
import { summarize, type ModelSummary } from '../model/summary.js';
import { costReport } from '../model/accounting.js';
import { UserError } from '../model/errors.js';
import type { ExcitationStats } from '../../pruning/stats/types.js';
import { CRITERIA } from '../../pruning/importance/index.js';
import { modelFileBytes, projectBytes } from '../eval/compare.js';
import { chooseBackend } from '../engine/backend.js';
import { zooList } from './zoo-list.js';
import { checkExport, checkFinetune, exportFormats } from './model-jobs.js';
import { JobRunner, type JobContext } from './jobs.js';
import { checkFoldStats, planFor, type WorkModel } from './job-work.js';
import { inProcessHost, type JobHost } from './job-host.js';
import { browse } from './browse.js';
import { previewPreprocessing } from './preprocess-preview.js';
import { RecentFiles } from './recent.js';
import type {
  ApiMethod,
  ApiMethods,
  DataChoice,
  DiagramBlock,
  JobKind,
  JobResults,
  JobEvent,
  ModelInfo,
  ModelOrigin,
  ModelSummaryDto,
  PreprocessingDto,
  RecentFile,
  SeBlockStatsDto,
  StatsSummaryDto,
} from './contract.js';

/** The server side of the contract: one async function per method. */
export type ApiHandlers = {
  [M in ApiMethod]: (req: ApiMethods[M]['request']) => Promise<ApiMethods[M]['response']>;
};

export interface Service extends ApiHandlers {
  /** Opens a model file the browser host received as an upload; `label` is its own file name. */
  openUploaded(path: string, label: string): Promise<ModelInfo>;
  /** Stops every running job. */
  close(): void;
  /** The ids of the models held now, least recently used first. */
  heldModels(): string[];
}

export interface ServiceOptions {
  emit: (e: JobEvent) => void;
  version?: string;
  /** Where opened files are remembered; null keeps no list (the default: config folder, see recent.ts). */
  recent?: RecentFiles | null;
  /** Where long jobs run (job-host.ts); in this process when absent. */
  jobs?: JobHost;
  /** Jobs run at once; the rest queue (default: jobs.ts defaultJobLimit, the machine's cores). */
  maxJobs?: number;
  /** Models kept open (default MAX_OPEN_MODELS); the least recently used beyond it are freed. */
  maxOpenModels?: number;
}

/**
 * Models a session keeps. Each holds its weights (a 4 MB model opened 250 times held 1.32 GB), so
 * beyond this many the least recently used one is freed unless a job uses it or it is an ancestor
 * of the newest model (undo goes there). A view showing a freed model says it is no longer open.
 */
export const MAX_OPEN_MODELS = 8;

/** A model's statistics as ModelInfo carries them: the per-block numbers, not the per-channel arrays. */
export function statsSummary(s: ExcitationStats): StatsSummaryDto {
  return {
    ...s,
    blocks: s.blocks.map((b) => ({ name: b.name, channels: b.channels, identityDistance: b.identityDistance, inputDependence: b.inputDependence, classDependence: b.classDependence })),
  };
}

/** Criteria the UI offers: every one the CLI has, and auto (the preview of a data-measuring one ranks by L1 and says so). */
const uiCriteria = (): string[] => [...CRITERIA.map((c) => c.name), 'auto'];

// The contract's shapes must stay assignable from the core's (a compile-time check).
const _summaryFits: (s: ModelSummary) => ModelSummaryDto = (s) => s;
void _summaryFits;

interface Entry {
  info: ModelInfo;
  graph: Graph;
  stats?: ExcitationStats;
  /** The opened file's size on disk, or the size of the model's .seprune encoding. */
  fileBytes: number;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/**
 * The stage/block diagram: consecutive nodes sharing a block tag (or a stage, untagged) form one
 * box. A file whose node names carry no stages (a dynamo export's `node_Conv_1`, our own ONNX
 * export's `stage1.block0.conv1`) or only one would draw as a single box of every layer: its
 * diagram groups a relabelled copy by feature-map resolution instead (the model keeps its labels).
 */
export function diagramOf(g: Graph): DiagramBlock[] {
  const costs = new Map(costReport(g).nodes.map((c) => [c.name, c]));
  const out: DiagramBlock[] = [];
  const index = new Map<string, DiagramBlock>();
  let nodes = g.nodes;
  if (new Set(nodes.map((n) => n.stage ?? 'other')).size <= 1) {
    const copy: Graph = { ...g, nodes: g.nodes.map((n) => ({ ...n, stage: undefined, block: undefined }) as Node) };
    labelStagesByResolution(copy);
    nodes = copy.nodes;
  }
  for (const n of nodes) {
    const stage = n.stage ?? 'other';
    const block = n.block ?? stage;
    const key = `${stage}\u0000${block}`;
    let b = index.get(key);
    if (!b) {
      b = { stage, block, kinds: [], params: 0, macs: 0 };
      index.set(key, b);
      out.push(b);
    }
    b.kinds.push(n.kind);
    const c = costs.get(n.name);
    if (c) {
      b.params += c.params;
      b.macs += c.macs;
      b.outShape = c.outShape.filter((d): d is number => typeof d === 'number');
    }
    if (n.kind === 'se') b.se = n.name;
  }
  return out;
}

function defaultPreprocessing(g: Graph, stored?: PreprocessingDto): PreprocessingDto {
  // The pipeline form, so the app's form edits steps whatever the project was written with.
  if (stored) return withPipeline(stored);
  return fromPipeline([{ op: 'ToTensor' }], g.inputs[0].shape[2] === 3 ? 3 : 1);
}

function isFolder(p: string): boolean {
  try {
    return statSync(resolve(p)).isDirectory();
  } catch {
    return false;
  }
}

function checkData(d: DataChoice): void {
  if (!d.data?.trim()) throw new UserError('Choose a dataset: a folder on this machine or fashion-mnist.');
  if (d.split !== 'train' && d.split !== 'test') throw new UserError('The split must be train or test.');
  if (!Number.isInteger(d.limit) || d.limit < 1) throw new UserError('The number of images must be a whole number ≥ 1.');
  if (!Number.isInteger(d.seed) || d.seed < 0) throw new UserError('The seed must be a whole number ≥ 0.');
  const p = d.preprocess;
  const okList = (xs: number[], positive: boolean) => (xs.length === 1 || xs.length === 3) && xs.every((x) => Number.isFinite(x) && (!positive || x > 0));
  if (!okList(p.mean, false)) throw new UserError('The mean takes one number or three.');
  if (!okList(p.std, true)) throw new UserError('The std takes one number or three, all above 0.');
  if (p.channels !== 1 && p.channels !== 3) throw new UserError('Channels must be 1 or 3.');
  if ((p.mean.length === 3 || p.std.length === 3) && p.channels === 1) throw new UserError('Three mean/std values need 3 channels.');
  for (const k of ['resize', 'centerCrop', 'pad'] as const) {
    const v = p[k];
    if (v !== undefined && (!Number.isInteger(v) || v < (k === 'pad' ? 0 : 1))) throw new UserError(`${k} must be a whole number${k === 'pad' ? ' ≥ 0' : ' ≥ 1'}.`);
  }
  if (p.steps !== undefined && !Array.isArray(p.steps)) throw new UserError('The preprocessing steps must be a list.');
  checkPreprocessing(p);
}

export function createService(o: ServiceOptions): Service {
  const jobs = new JobRunner(o.emit, o.maxJobs);
  const host = o.jobs ?? inProcessHost;
  const recent = o.recent === undefined ? new RecentFiles() : o.recent;
  /** Remembers an opened file; a list that cannot be written never fails the open itself. */
  const remember = (path: string, kind: RecentFile['kind'], label?: string): void => {
    try {
      recent?.add(path, kind, label);
    } catch {
      // the list is a convenience
    }
  };
  const models = new Map<string, Entry>();
  const maxOpen = o.maxOpenModels ?? MAX_OPEN_MODELS;
  /** Models a started or queued job uses, with how many jobs use each. */
  const inJobs = new Map<string, number>();
  /** Every file the session opened, freed or not: exports never overwrite one. */
  const openedPaths = new Set<string>();
  let counter = 0;

  /** Frees least recently used models beyond maxOpen, keeping those jobs use and the newest model's ancestors. */
  function evict(): void {
    if (models.size <= maxOpen) return;
    const keep = new Set<string>();
    for (let id = [...models.keys()].at(-1); id && !keep.has(id); id = models.get(id)?.info.origin.parent) keep.add(id);
    for (const id of [...models.keys()]) {
      if (models.size <= maxOpen) break;
      if (!keep.has(id) && !inJobs.has(id)) models.delete(id);
    }
  }

  /** Starts a job that uses the models `ids`: they stay held until it ends. */
  function startJob<K extends JobKind>(kind: K, ids: string[], work: (ctx: JobContext) => Promise<JobResults[K]>) {
    for (const id of ids) inJobs.set(id, (inJobs.get(id) ?? 0) + 1);
    return jobs.start(kind, work, () => {
      for (const id of ids) {
        const n = (inJobs.get(id) ?? 1) - 1;
        if (n > 0) inJobs.set(id, n);
        else inJobs.delete(id);
      }
      evict();
    });
  }
  const version = o.version ?? packageVersion();

  function add(graph: Graph, source: string, origin: ModelOrigin, hash: string, extra: Partial<ModelInfo> & { preprocessing: PreprocessingDto }, stats?: ExcitationStats, fileBytes?: number): ModelInfo {
    const id = `m${++counter}`;
    const info: ModelInfo = { id, source, origin, hash, summary: summarize(graph), diagram: diagramOf(graph), ...extra, ...(stats ? { stats: statsSummary(stats) } : {}) };
    models.set(id, { info, graph, fileBytes: fileBytes ?? projectBytes({ graph, history: [] }), ...(stats ? { stats } : {}) });
    if (origin.kind === 'opened' && !origin.path.startsWith('zoo:')) openedPaths.add(origin.path);
    evict();
    return info;
  }

  /** Files the session opened: never an export's output. */
  function openedFiles(): string[] {
    return [...openedPaths];
  }

  function entry(id: string): Entry {
    const e = models.get(id);
    if (!e) throw new UserError('That model is no longer open; open it again from Start.');
    // Most recently used last (the eviction order).
    models.delete(id);
    models.set(id, e);
    return e;
  }

  /** A model as a job gets it. */
  const work = (e: Entry): WorkModel => ({ info: e.info, graph: e.graph, fileBytes: e.fileBytes, ...(e.stats ? { stats: e.stats } : {}) });

  async function statsJob(req: ApiMethods['runStats']['request'], ctx: JobContext) {
    const e = entry(req.modelId);
    const r = await host.run('stats', { model: work(e), req }, ctx);
    if (isFolder(req.data)) remember(req.data, 'data');
    e.stats = r.stats;
    const summary = statsSummary(r.stats);
    e.info = { ...e.info, stats: summary, classNames: r.classNames, statsData: structuredClone({ data: req.data, split: req.split, limit: req.limit, seed: req.seed, preprocess: req.preprocess }) };
    return { modelId: e.info.id, stats: summary, classNames: r.classNames, skipped: r.skipped, engine: r.stats.engine, ...(r.note ? { note: r.note } : {}) };
  }

  async function pruneJob(req: ApiMethods['prune']['request'], ctx: JobContext) {
    const e = entry(req.modelId);
    const r = await host.run('prune', { model: work(e), req }, ctx);
    const model = add(
      r.graph,
      `${e.info.source} (pruned)`,
      { kind: 'pruned', parent: e.info.id, path: e.info.origin.path },
      graphHash(r.graph),
      {
        preprocessing: e.info.preprocessing,
        ...(e.info.classNames ? { classNames: e.info.classNames } : {}),
        ...(e.info.statsData ? { statsData: e.info.statsData } : {}),
      },
      r.stats,
    );
    return { model, report: r.report };
  }

  async function open(arg: string, label?: string): Promise<ModelInfo> {
    const m = await loadModel(arg);
    const g = m.project.graph;
    const stats = m.project.stats && m.project.stats.modelHash === m.hash ? m.project.stats : undefined;
    const info = add(g, m.source, { kind: 'opened', path: m.source }, m.hash, { preprocessing: defaultPreprocessing(g, m.project.preprocessing), ...(m.project.labels ? { classNames: m.project.labels } : {}) }, stats, modelFileBytes(m));
    if (!arg.startsWith('zoo:')) remember(arg, 'model', label);
    return info;
  }

  return {
    version: async () => version,
    listZoo: async () => zooList(),
    listCriteria: async () => uiCriteria(),
    modelFormats: async () => modelFormats(),
    openModel: async (req) => {
      const arg = req?.model?.trim();
      if (!arg) throw new UserError(`Give a model: zoo:<name> or a file path (${modelFileNames()}).`);
      return open(arg);
    },
    openUploaded: (path, label) => open(path, label),
    runStats: async (req) => {
      entry(req.modelId);
      checkData(req);
      return startJob('stats', [req.modelId], (ctx) => statsJob(req, ctx));
    },
    previewPrune: async (req) => planFor(work(entry(req.modelId)), req).preview,
    prune: async (req) => {
      const e = entry(req.modelId);
      planFor(work(e), req); // settings errors answer the call itself
      checkFoldStats(work(e), req);
      return startJob('prune', [req.modelId], (ctx) => pruneJob(req, ctx));
    },
    undo: async (req) => {
      const e = entry(req.modelId);
      if (!e.info.origin.parent) throw new UserError('Nothing to undo: this model was opened, not pruned.');
      return entry(e.info.origin.parent).info;
    },
    cancelJob: async (req) => ({ cancelled: jobs.cancel(req.jobId) }),
    compare: async (req) => {
      const ids = Array.isArray(req?.modelIds) ? req.modelIds : [];
      if (ids.length < 2) throw new UserError('Choose at least two models to compare.');
      const ms = ids.map(entry);
      checkData(req.data);
      return startJob('compare', ids, async (ctx) => ({ modelIds: ids, report: await host.run('compare', { models: ms.map(work), data: req.data, latency: req.latency !== false }, ctx) }));
    },
    exportFormats: async () => exportFormats(),
    exportModel: async (req) => {
      const e = entry(req.modelId);
      checkData(req.data);
      checkExport(req, e.info.source, openedFiles());
      return startJob('export', [e.info.id], async (ctx) => ({ modelId: e.info.id, files: await host.run('export', { model: work(e), req, protect: openedFiles() }, ctx) }));
    },
    trainBackend: async () => ({ ...(await chooseBackend()), torch: torchInfo() }),
    finetune: async (req) => {
      const e = entry(req.modelId);
      const teacher = req.teacherId ? entry(req.teacherId) : undefined;
      checkData(req.data);
      checkFinetune(req);
      return startJob('finetune', [e.info.id, ...(teacher ? [teacher.info.id] : [])], async (ctx) => {
        const r = await host.run('finetune', { model: work(e), ...(teacher ? { teacher: work(teacher) } : {}), req }, ctx);
        const graph: Graph = { ...r.graph, meta: { ...r.graph.meta, finetunedFrom: e.info.source } };
        const label = e.info.origin.kind === 'finetuned' ? e.info.source : `${e.info.source} (fine-tuned)`;
        const model = add(graph, label, { kind: 'finetuned', parent: e.info.id, path: e.info.origin.path }, graphHash(graph), { preprocessing: r.preprocessing, classNames: r.classNames });
        return { model, top1: r.top1, top5: r.top5, evalN: r.evalN, epochs: r.epochs, imagesPerSecond: r.imagesPerSecond, backend: r.backend, ...(r.engine ? { engine: r.engine } : {}), ...(r.device ? { device: r.device } : {}) };
      });
    },
    blockStats: async (req) => {
      const e = entry(req?.modelId);
      if (!e.stats) throw new UserError('This model has no gate statistics yet: run them from Start.');
      const b: SeBlockStatsDto | undefined = e.stats.blocks.find((x) => x.name === req.block);
      if (!b) {
        const inModel = e.info.summary.seBlocks.some((x) => x.name === req.block);
        throw new UserError(inModel ? `The SE block ${req.block} has no statistics (it was folded or dropped).` : `This model has no SE block named ${String(req.block)}.`);
      }
      return b;
    },
    browse: async (req) => browse(req),
    previewPreprocessing: async (req) => {
      if (!req || typeof req !== 'object' || !req.preprocess) throw new UserError('Say which dataset and preprocessing to preview.');
      checkData({ data: req.data, split: req.split, limit: 1, seed: 0, preprocess: req.preprocess });
      return previewPreprocessing(req, req.modelId ? entry(req.modelId).graph.inputs[0].shape : undefined);
    },
    recentFiles: async () => recent?.list() ?? [],
    forgetRecent: async (req) => {
      if (typeof req?.path !== 'string' || (req.kind !== 'model' && req.kind !== 'data')) throw new UserError('Say which recent file to remove.');
      return recent?.remove(req.path, req.kind) ?? [];
    },
    heldModels: () => [...models.keys()],
    close: () => {
      jobs.cancelAll();
      host.close();
    },
  };
}
