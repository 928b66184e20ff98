/**
 * The api's implementation: one session holding the models it opened or made, answering every
 * method of the contract (app/api/contract.ts) by calling the core — load, summary, datasets,
 * statistics, the prune pipeline, evaluation. An exported file the IR cannot represent (an int8
 * ONNX, a .tflite, a TF.js graph model) opens read-only beside the model it was exported from and
 * only compares, in its own runtime. Long jobs' work (job-work.ts) runs where the
 * JobHost says (job-host.ts: a process of its own in the app, this process in tests); the
 * session only looks models up before and adds what a job made after. The Electron main process
 * and the browser host both serve this one object; neither has logic of its own.
 */
import { torchInfo } from '../train/torch/index.js';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Graph, Node } from '../model/ir.js';
import { labelStagesByResolution } from '../model/stages.js';
import { fromPipeline, withPipeline } from '../data/transform.js';
import { checkPreprocessing } from '../data/preprocess.js';
import { graphHash } from '../model/graph-hash.js';
import { saveProject, type HistoryEntry, type Project, type SessionModel, type SessionPart } from '../model/project-file.js';
import { openModelFile, openableFormats, openableNames, sourceOf } from '../workflows/open-model-file.js';
import type { ExportedModel } from '../../export/open-exported.js';
import { summarize, type ModelSummary } from '../model/summary.js';
import { costReport } from '../model/accounting.js';
import { ReadOnlyModelError, UserError, type ReadOnlyAction } from '../model/errors.js';
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
import { ModelSpill } from './model-spill.js';
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
  /**
   * Where a file this session's export jobs wrote lies now (its real path, as it was when written),
   * given the path the export reported; undefined for any path no export of this session wrote.
   */
  exportedFile(path: string): string | undefined;
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
  /** Models held in memory (default MAX_OPEN_MODELS); the least recently used beyond it are set aside on disk. */
  maxOpenModels?: number;
  /** A folder the session owns for the models it sets aside (the browser host's session folder); a temporary one when absent. */
  spillDir?: string;
  /** Disk the set-aside models may take (default MAX_SPILL_BYTES); the oldest beyond it are freed for good. */
  maxSpillBytes?: number;
}

/**
 * Models a session holds in memory. Each holds its weights (a 4 MB model opened 250 times held
 * 1.32 GB), so beyond this many the least recently used one is set aside on disk (model-spill.ts)
 * unless a job uses it or it is an ancestor of the newest model; using it again reads it back. Only
 * beyond the spill's disk limit is a model freed for good, and a view showing it says so.
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
  /** The steps that made it (the project's history, then what this session did). */
  history: HistoryEntry[];
  /** The opened file's size on disk, or the size of the model's .seprune encoding. */
  fileBytes: number;
  /** An exported file opened read-only (`graph` is then the model it was exported from). */
  exported?: ExportedModel;
}

const step = (name: string, details: Record<string, unknown>): HistoryEntry => ({ step: name, at: new Date().toISOString(), details: JSON.parse(JSON.stringify(details)) as Record<string, unknown> });

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

/** Where a session is saved: an absolute-resolved `.seprune` path in an existing folder. */
function checkProjectPath(p: unknown): string {
  if (typeof p !== 'string' || !p.trim()) throw new UserError('Choose where to save the project.');
  const path = resolve(p.trim());
  if (!path.toLowerCase().endsWith('.seprune')) throw new UserError(`A project is saved as a .seprune file; ${basename(path)} has another ending.`);
  if (!isFolder(dirname(path))) throw new UserError(`The folder ${dirname(path)} does not exist.`);
  if (isFolder(path)) throw new UserError(`${path} is a folder; give a file name ending in .seprune.`);
  return path;
}

const article = (w: string): string => (/^[aeiou]/i.test(w) ? 'An' : 'A');

/** How the app names an exported file it opened read-only, and why it only compares. */
export function readOnlyOf(x: ExportedModel): { format: string; reason: string } {
  const q = x.quant;
  const [format, runtime, what] =
    x.format === 'onnx'
      ? [q ? `${q} ONNX` : 'ONNX', 'onnxruntime', 'file']
      : x.format === 'tflite'
        ? [`TFLite ${q ?? ''}`.trim(), 'the TFLite interpreter', 'file']
        : [`TF.js graph model${q ? ` (${q})` : ''}`, 'TensorFlow.js', ''];
  const named = what ? `${format} ${what}` : format;
  return { format, reason: `${article(named)} ${named} runs in ${runtime} as written; it cannot be pruned, fine-tuned or exported again — open the float model for that.` };
}

/** The exported file's own bytes (a TF.js model: its model.json), hashed: its identity in the session. */
function fileHash(x: ExportedModel): string {
  return createHash('sha256').update(readFileSync(x.format === 'tfjs' ? join(x.path, 'model.json') : x.path)).digest('hex').slice(0, 16);
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
  /** Every file the session's exports wrote (the reported path → its real path then): all that the browser host lets the page download. */
  const exported = new Map<string, string>();

  /** Models set aside on disk (model-spill.ts): what the lists need of them, their weights in the spill. */
  const spill = new ModelSpill(o.spillDir ?? null, o.maxSpillBytes);
  const aside = new Map<string, Pick<Entry, 'info' | 'fileBytes' | 'exported'>>();

  /** A model as a project (what a saved session and the spill hold of it). */
  const projectOf = (e: Entry): Omit<Project, 'session'> => ({
    graph: e.graph,
    history: e.history,
    preprocessing: e.info.preprocessing,
    ...(e.info.classNames ? { labels: e.info.classNames } : {}),
    ...(e.stats ? { stats: e.stats } : {}),
  });

  /** Moves a held model to disk; when the disk cannot take it (or the spill's limit is reached) the oldest set aside are forgotten. */
  function setAside(id: string): void {
    const e = models.get(id);
    if (!e) return;
    models.delete(id);
    try {
      for (const gone of spill.put(id, projectOf(e))) aside.delete(gone);
      if (spill.has(id)) aside.set(id, { info: e.info, fileBytes: e.fileBytes, ...(e.exported ? { exported: e.exported } : {}) });
    } catch {
      spill.drop(id); // no room on disk: this one is freed for good
    }
  }

  /** Frees least recently used models beyond maxOpen (to disk), keeping those jobs use and the newest model's ancestors. */
  function evict(): void {
    if (models.size <= maxOpen) return;
    const keep = new Set<string>();
    for (let id = [...models.keys()].at(-1); id && !keep.has(id); id = models.get(id)?.info.origin.parent) keep.add(id);
    for (const id of [...models.keys()]) {
      if (models.size <= maxOpen) break;
      if (!keep.has(id) && !inJobs.has(id)) setAside(id);
    }
  }

  /** A model of the session, held or set aside. */
  const infoOf = (id: string | undefined): Pick<Entry, 'info' | 'fileBytes' | 'exported'> | undefined => (id ? (models.get(id) ?? aside.get(id)) : undefined);

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

  function add(graph: Graph, source: string, origin: ModelOrigin, hash: string, extra: Partial<ModelInfo> & { preprocessing: PreprocessingDto }, stats?: ExcitationStats, fileBytes?: number, history: HistoryEntry[] = [], exported?: ExportedModel): ModelInfo {
    const id = `m${++counter}`;
    const info: ModelInfo = { id, source, origin, hash, summary: summarize(graph), diagram: diagramOf(graph), ...extra, ...(stats ? { stats: statsSummary(stats) } : {}) };
    models.set(id, { info, graph, history, fileBytes: fileBytes ?? projectBytes({ graph, history: [] }), ...(stats ? { stats } : {}), ...(exported ? { exported } : {}) });
    if ((origin.kind === 'opened' || origin.kind === 'exported') && !origin.path.startsWith('zoo:')) openedPaths.add(origin.path);
    evict();
    return info;
  }

  /** Files the session opened: never an export's output. */
  function openedFiles(): string[] {
    return [...openedPaths];
  }

  function entry(id: string): Entry {
    const e = models.get(id) ?? restore(id);
    if (!e) throw new UserError('That model is no longer open; open it again from Start.');
    // Most recently used last (the eviction order).
    models.delete(id);
    models.set(id, e);
    evict();
    return e;
  }

  /** A model set aside, read back into memory; undefined when it is not (or no longer) there. */
  function restore(id: string): Entry | undefined {
    const a = aside.get(id);
    if (!a || !spill.has(id)) return undefined;
    let p: Omit<Project, 'session'>;
    try {
      p = spill.take(id);
    } catch {
      return undefined;
    }
    aside.delete(id);
    spill.drop(id);
    return { ...a, graph: p.graph, history: p.history, ...(p.stats ? { stats: p.stats } : {}) };
  }

  /** A model as a job gets it: plain data (an exported file by its path), so it crosses to a job process. */
  const work = (e: Entry): WorkModel => ({ info: e.info, graph: e.graph, fileBytes: e.fileBytes, ...(e.stats ? { stats: e.stats } : {}), ...(e.exported ? { exportedPath: e.exported.path } : {}) });

  /** A session model that can be changed: an exported file opened read-only only compares. */
  function writable(e: Entry, action: ReadOnlyAction): Entry {
    if (e.info.readOnly) throw new ReadOnlyModelError(e.info.readOnly.format, action);
    return e;
  }

  async function statsJob(req: ApiMethods['runStats']['request'], ctx: JobContext) {
    const e = entry(req.modelId);
    const r = await host.run('stats', { model: work(e), req }, ctx);
    if (isFolder(req.data)) remember(req.data, 'data');
    e.stats = r.stats;
    e.history = [...e.history, step('stats', { data: r.stats.dataset, n: r.stats.n })];
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
      undefined,
      [...e.history, step('prune', { criterion: r.report.criterion, residual: req.residual, steps: req.steps ?? 1, fold: req.fold.mode, target: { ...req.target }, bnRecalibratedOn: r.report.bnRecalibratedOn, paramsAfter: r.report.paramsAfter, macsAfter: r.report.macsAfter })],
    );
    return { model, report: r.report };
  }

  /**
   * Adds one model of a project: its statistics only when they were gathered on this very graph,
   * or (`saved`) when the session saved them with it (a pruned model keeps its kept channels' rows).
   */
  function addProject(p: Omit<Project, 'session'>, source: string, origin: ModelOrigin, fileBytes?: number, saved = false, known?: string): ModelInfo {
    const hash = known ?? graphHash(p.graph);
    const stats = p.stats && (saved || p.stats.modelHash === hash) ? p.stats : undefined;
    return add(p.graph, source, origin, hash, { preprocessing: defaultPreprocessing(p.graph, p.preprocessing), ...(p.labels ? { classNames: p.labels } : {}) }, stats, fileBytes, p.history);
  }

  /**
   * An exported file, read-only: its parameters, MACs and diagram are those of the model it was
   * exported from — the open model whose hash its metadata gives, else the model at the path its
   * metadata names. Refused with what to do when neither is there.
   */
  async function addExported(arg: string, x: ExportedModel, label?: string): Promise<ModelInfo> {
    const name = label ?? basename(x.path);
    const shape = x.inputShape.join('×');
    const candidate = x.sourceHash ? sessionInfos().reverse().find((e) => !e.readOnly && e.hash === x.sourceHash && e.summary.inputs[0].shape.join('×') === shape) : undefined;
    const match = candidate ? entry(candidate.id) : undefined;
    let graph: Graph;
    let pre: PreprocessingDto | undefined;
    let labels: string[] | undefined;
    if (match) {
      graph = match.graph;
      pre = match.info.preprocessing;
      labels = match.info.classNames;
    } else {
      try {
        const src = (await sourceOf(arg, x)).project;
        graph = src.graph;
        pre = src.preprocessing;
        labels = src.labels;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        throw new UserError(
          x.source
            ? `${name} was exported from ${x.source}, which is neither open in this session nor opens from where its metadata says; open the model it was exported from first, then this file.`
            : `${name} does not name the model it was exported from, so its parameters and MACs are unknown; open a file this tool exported, after the model it was exported from.`,
        );
      }
    }
    // The TF.js reader keeps the model it probed for the first run; jobs open the file again by its path.
    if (x.format === 'tfjs') await (await x.runtime()).release();
    const classNames = x.labels ?? labels;
    return add(
      graph,
      arg,
      { kind: 'exported', ...(match ? { parent: match.info.id } : {}), path: arg },
      fileHash(x),
      { preprocessing: defaultPreprocessing(graph, x.preprocessing ?? pre), ...(classNames ? { classNames } : {}), readOnly: readOnlyOf(x) },
      undefined,
      x.bytes,
      [],
      x,
    );
  }

  async function open(arg: string, label?: string): Promise<ModelInfo> {
    const opened = await openModelFile(arg);
    let info: ModelInfo;
    if ('loaded' in opened) {
      const m = opened.loaded;
      const { session, ...project } = m.project;
      info = session ? openSession(session, project, m.source) : addProject(project, m.source, { kind: 'opened', path: m.source }, modelFileBytes(m), false, m.hash);
    } else info = await addExported(arg, opened.exported, label);
    if (!arg.startsWith('zoo:')) remember(arg, 'model', label);
    return info;
  }

  /** A saved session: every model of it back in the session, parents first; answers the current one. */
  function openSession(session: SessionPart, current: Omit<Project, 'session'>, file: string): ModelInfo {
    const ids: string[] = [];
    let answer: ModelInfo | undefined;
    session.models.forEach((sm, i) => {
      const p = i === session.current ? current : sm.project;
      if (!p) return;
      const parent = sm.origin.parent !== undefined ? ids[sm.origin.parent] : undefined;
      const info = addProject(p, sm.label, { kind: sm.origin.kind, path: sm.origin.kind === 'opened' ? sm.origin.path : (infoOf(parent)?.info.origin.path ?? file), ...(parent ? { parent } : {}) }, undefined, true);
      ids.push(info.id);
      if (i === session.current) answer = info;
    });
    return answer ?? infoOf(ids[ids.length - 1])!.info;
  }

  /** Every model of the session, held or set aside, in the order they were opened or made. */
  function sessionInfos(): ModelInfo[] {
    return [...models.values(), ...aside.values()].map((e) => e.info).sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }

  /** The whole session as a project whose own model is `current`: the other held models ride along, parents kept where held. */
  function sessionProject(chosen: Entry): Project {
    // Exported files stay where they are (a session holds models the IR represents); the file's own model is then the one it came from.
    const list = sessionInfos().filter((i) => !i.readOnly);
    const parent = chosen.info.origin.parent ? infoOf(chosen.info.origin.parent)?.info : undefined;
    const currentInfo = !chosen.exported ? chosen.info : parent && !parent.readOnly ? parent : list.at(-1);
    if (!currentInfo) throw new UserError('Nothing to save: this session holds only exported files, which stay where they are; open the models they were exported from.');
    const index = new Map(list.map((i, n) => [i.id, n]));
    // A model set aside is read from disk for the file, not brought back into memory.
    const projectFor = (id: string): Omit<Project, 'session'> => {
      const held = models.get(id);
      return held ? projectOf(held) : spill.take(id);
    };
    const saved = list.map((i): SessionModel => {
      const parentIndex = i.origin.parent !== undefined ? index.get(i.origin.parent) : undefined;
      const kind = i.origin.kind === 'exported' ? 'opened' : i.origin.kind;
      return { label: i.source, origin: { kind, path: i.origin.path, ...(parentIndex !== undefined ? { parent: parentIndex } : {}) }, ...(i.id === currentInfo.id ? {} : { project: projectFor(i.id) }) };
    });
    return { ...projectFor(currentInfo.id), session: { models: saved, current: index.get(currentInfo.id)! } };
  }

  return {
    version: async () => version,
    listZoo: async () => zooList(),
    listCriteria: async () => uiCriteria(),
    modelFormats: async () => openableFormats(),
    openModel: async (req) => {
      const arg = req?.model?.trim();
      if (!arg) throw new UserError(`Give a model: zoo:<name> or a file path (${openableNames()}).`);
      return open(arg);
    },
    openUploaded: (path, label) => open(path, label),
    runStats: async (req) => {
      writable(entry(req.modelId), 'stats');
      checkData(req);
      return startJob('stats', [req.modelId], (ctx) => statsJob(req, ctx));
    },
    previewPrune: async (req) => planFor(work(writable(entry(req.modelId), 'prune')), req).preview,
    prune: async (req) => {
      const e = writable(entry(req.modelId), 'prune');
      planFor(work(e), req); // settings errors answer the call itself
      checkFoldStats(work(e), req);
      return startJob('prune', [req.modelId], (ctx) => pruneJob(req, ctx));
    },
    undo: async (req) => {
      const e = writable(entry(req.modelId), 'undo');
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
      const e = writable(entry(req.modelId), 'export');
      checkData(req.data);
      checkExport(req, e.info.source, openedFiles());
      return startJob('export', [e.info.id], async (ctx) => {
        const files = await host.run('export', { model: work(e), req, protect: openedFiles() }, ctx);
        for (const w of files.flatMap((f) => f.written ?? [])) {
          try {
            exported.set(resolve(w.path), realpathSync(w.path));
          } catch {
            // gone already (removed by hand): nothing to offer for download
          }
        }
        return { modelId: e.info.id, files };
      });
    },
    trainBackend: async () => ({ ...(await chooseBackend()), torch: torchInfo() }),
    finetune: async (req) => {
      const e = writable(entry(req.modelId), 'finetune');
      const teacher = req.teacherId ? entry(req.teacherId) : undefined;
      if (teacher?.info.readOnly) throw new UserError(`The ${teacher.info.readOnly.format} file runs as written and cannot teach; choose the float model it was exported from as the teacher.`);
      checkData(req.data);
      checkFinetune(req);
      return startJob('finetune', [e.info.id, ...(teacher ? [teacher.info.id] : [])], async (ctx) => {
        const r = await host.run('finetune', { model: work(e), ...(teacher ? { teacher: work(teacher) } : {}), req }, ctx);
        const graph: Graph = { ...r.graph, meta: { ...r.graph.meta, finetunedFrom: e.info.source } };
        const label = e.info.origin.kind === 'finetuned' ? e.info.source : `${e.info.source} (fine-tuned)`;
        const details = { epochs: r.epochs, optimizer: req.optimizer, lr: req.lr, teacher: teacher?.info.source ?? null, engine: r.engine ?? r.backend, top1: r.top1, evalN: r.evalN };
        const model = add(graph, label, { kind: 'finetuned', parent: e.info.id, path: e.info.origin.path }, graphHash(graph), { preprocessing: r.preprocessing, classNames: r.classNames }, undefined, undefined, [...e.history, step('finetune', details)]);
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
    sessionModels: async () => sessionInfos(),
    saveProject: async (req) => {
      const e = entry(req?.modelId);
      const path = checkProjectPath(req?.path);
      const project = sessionProject(e);
      const bytes = saveProject(path, project, { force: req.force === true });
      remember(path, 'model');
      return { path, bytes, models: project.session?.models.length ?? 1 };
    },
    heldModels: () => [...models.keys()],
    exportedFile: (path) => (typeof path === 'string' && path ? exported.get(resolve(path)) : undefined),
    close: () => {
      jobs.cancelAll();
      host.close();
      spill.close();
    },
  };
}
