/**
 * The one typed contract of the app: every call the UI makes (request and response types), the
 * events long jobs send (progress, done, error, cancelled), and the method table that the
 * Electron IPC bridge, the browser host's HTTP routes and the renderer's client all follow.
 *
 * Plain JSON-able types and constants only (no Node, no DOM, no Electron): the renderer and the
 * Electron preload import this file too. The shapes mirror the core's types (ModelSummary,
 * SeBlockStats, Plan, `seprune prune --json`); app/api/service.ts checks they stay assignable.
 * Where the core's type is itself plain data in a file the renderer can compile, it is imported
 * rather than mirrored (the compare report, the excitation statistics).
 */
import type { CompareReport as CompareReportDto } from '../eval/compare-types.js';
import type { ExcitationStats as ExcitationStatsDto, SeBlockStats as SeBlockStatsDto } from '../model/excitation-stats.js';
import type { Preprocessing as PreprocessingDto } from '../model/ir.js';
import type { TrainProgress as TrainProgressDto } from '../train/train-progress.js';

export type { TransformStep } from '../model/transform.js';

/** One zoo model as the UI lists it. */
export interface ZooListItem {
  /** The name after `zoo:` (e.g. `se-resnet-demo`). */
  name: string;
  /** One line saying what the model is. */
  description: string;
}

/**
 * torchvision-style preprocessing: `steps` is the pipeline in order (app/model/transform.ts); without
 * it the fields imply Resize → CenterCrop → Pad → ToTensor → Normalize (projects written before pipelines).
 */
/** Preprocessing as the model stores it (app/model/ir.ts). */
export type { Preprocessing as PreprocessingDto } from '../model/ir.js';

export interface StageCostDto {
  stage: string;
  params: number;
  macs: number;
}

export interface SeBlockDto {
  name: string;
  stage: string;
  block: string;
  channels: number;
  hidden: number;
  reduction: number;
  gate: string;
  innerAct: string;
  bias: boolean;
  params: number;
  after: string;
  before: string[];
}

export interface ModelSummaryDto {
  name: string;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
  params: number;
  macs: number;
  nodes: number;
  stages: StageCostDto[];
  seBlocks: SeBlockDto[];
  seParams: number;
}

/** One block of the stage/block diagram: the nodes sharing a (stage, block) tag. */
export interface DiagramBlock {
  stage: string;
  block: string;
  /** Node kinds in graph order, e.g. ['conv2d', 'batchnorm', 'activation', 'se']. */
  kinds: string[];
  params: number;
  macs: number;
  /** The SE block inside it, if any. */
  se?: string;
  /** Output shape of its last node (HWC), when known. */
  outShape?: number[];
}

export type { SeBlockStats as SeBlockStatsDto, ExcitationStats as ExcitationStatsDto } from '../model/excitation-stats.js';

/** One SE block's per-block numbers, without its per-channel and per-class arrays. */
export type SeBlockBriefDto = Pick<SeBlockStatsDto, 'name' | 'channels' | 'identityDistance' | 'inputDependence' | 'classDependence'>;

/**
 * What a model's statistics look like as the UI holds them: the run's header and every block's
 * per-block numbers. The per-channel arrays (a 1000-class model's per-class means run to
 * megabytes per block) come one block at a time from `blockStats`.
 */
export interface StatsSummaryDto extends Omit<ExcitationStatsDto, 'blocks'> {
  blocks: SeBlockBriefDto[];
}

export interface BlockStatsRequest {
  modelId: string;
  /** The SE block's name (ModelSummaryDto.seBlocks[].name). */
  block: string;
}

/** A model held by the session (the api keeps every model it opened or made until it stops). */
export interface ModelInfo {
  id: string;
  /** The model's label: what was opened (zoo spec or path), with " (pruned)" / " (fine-tuned)" for models the session made. Shown, never parsed: `origin` says what it is. */
  source: string;
  origin: ModelOrigin;
  hash: string;
  summary: ModelSummaryDto;
  diagram: DiagramBlock[];
  /** Preprocessing stored with the model, else ToTensor with the model's channel count. */
  preprocessing: PreprocessingDto;
  /** Class names of the data its statistics came from, when known. */
  classNames?: string[];
  stats?: StatsSummaryDto;
  /** The calibration data of `stats` (reused by pruning's accuracy check). */
  statsData?: DataChoice;
  /**
   * Set for an exported file (an int8 ONNX, a .tflite, a TF.js graph model) opened as it is: it
   * runs in its own runtime and only compares; `summary` and `diagram` are those of the model it
   * was exported from. `format` names it ("int8 ONNX"), `reason` says so in one sentence.
   */
  readOnly?: { format: string; reason: string };
}

/** Where a session model came from. */
export interface ModelOrigin {
  kind: 'opened' | 'pruned' | 'finetuned' | 'exported';
  /** The session model this one was made from (what undo returns to); for an exported file, the open model it was exported from. */
  parent?: string;
  /** The file or zoo spec at the root of its line: what was opened. */
  path: string;
}

export interface OpenModelRequest {
  /** `zoo:<name>` or a path on the machine running the api (a file of one of the modelFormats). */
  model: string;
}

/** A dataset choice: a folder on the api's machine or a builtin name. */
export interface DataChoice {
  data: string;
  split: 'train' | 'test';
  /** Class-balanced subset size. */
  limit: number;
  seed: number;
  preprocess: PreprocessingDto;
  /** Number an image folder's classes in sorted folder order even when their names do not match the labels the model stores (default: map by name). */
  labelsByIndex?: boolean;
}

/** One image of a dataset through a preprocessing, for the form's preview. */
export interface PreviewPreprocessingRequest {
  data: string;
  split: 'train' | 'test';
  preprocess: PreprocessingDto;
  /** Which image (default the first). */
  index?: number;
  /** The open model whose input the images must fit (optional). */
  modelId?: string;
}

export interface PreprocessPreviewDto {
  id: string;
  /** The pipeline as torchvision code. */
  transform: string;
  shape: [number, number, number];
  min: number;
  max: number;
  mean: number;
  /** Channel 0, row-major; at most 32×32 values (larger tensors are sampled). */
  grid: { h: number; w: number; values: number[] };
  /** Whether the shape is the model's input. */
  fits: boolean;
  warnings: string[];
}

export interface RunStatsRequest extends DataChoice {
  modelId: string;
}

export interface StatsResult {
  modelId: string;
  stats: StatsSummaryDto;
  classNames: string[];
  /** Images that could not be read, how many. */
  skipped: number;
  engine: string;
  note?: string;
}

export interface PruneTargetDto {
  /** Fraction of MACs to keep (≤ 1). */
  targetMacs?: number;
  /** Fraction of parameters to keep (≤ 1). */
  targetParams?: number;
  /** Fraction of prunable channels to remove. */
  ratio?: number;
}

export interface FoldSettingsDto {
  mode: 'auto' | 'none';
  constant: number;
  identity: number;
}

export interface PruneSettingsDto {
  /** A criterion name (listCriteria) or 'auto'. */
  criterion: string;
  target: PruneTargetDto;
  residual: 'freeze' | 'couple';
  roundTo: number;
  minChannels: number;
  fold: FoldSettingsDto;
  /** Rounds of cut → re-estimation (default 1). */
  steps?: number;
  /** Node names or globs whose output channels are never cut. */
  ignore?: string[];
  /** Re-estimate batch-norm / folded-conv statistics after the cut (default true). */
  recalibrate?: boolean;
  /** Fractions of channels to remove per stage, e.g. { stage2: 0.3 } (`--per-stage`); with no MACs / params / ratio target, the only target. */
  perStage?: Record<string, number>;
  /** Split of the statistics' dataset that top-1 before/after is measured on (default test, `--eval-split`). */
  evalSplit?: 'train' | 'test';
  /** Images top-1 is measured on (default: as many as the statistics ran on, as the CLI's `--limit`; `--eval-limit`). */
  evalLimit?: number;
  /** After each round, fine-tune on this many calibration images distilled from the original (default 0: none, `--finetune-images`). */
  finetuneImages?: number;
}

export interface PreviewPruneRequest extends PruneSettingsDto {
  modelId: string;
}

export interface PlanGroupDto {
  id: string;
  label: string;
  stage: string;
  size: number;
  keep: number;
  removed: number;
  /** The SE block gating exactly these channels, and the gate channels the plan removes. */
  gate?: { se: string; removed: number[] };
}

/** The planner's preview (what `seprune prune --preview --json` prints). */
export interface PlanPreview {
  model: string;
  criterion: string;
  paramsBefore: number;
  paramsAfter: number;
  macsBefore: number;
  macsAfter: number;
  groups: PlanGroupDto[];
  frozen: { node: string; reason: string }[];
  warnings: string[];
  notes: string[];
}

export interface SeDecisionDto {
  block: string;
  decision: 'keep' | 'fold' | 'drop';
  reason: string;
  inputDependence: number;
  identityDistance: number;
  paramsSaved: number;
  macsSaved: number;
  accuracyChange: number | null;
}

/** What a prune did (the fields of `seprune prune --json`). */
export interface PruneReport extends PlanPreview {
  paramsAfterPruning: number;
  macsAfterPruning: number;
  top1Before: number | null;
  top1Pruned: number | null;
  top1After: number | null;
  /** top-1 after cutting and folding with the original batch-norm statistics. */
  top1BeforeBnRecalibration: number | null;
  /** Calibration images the batch-norm statistics were re-estimated on after the cut (0: none). */
  bnRecalibratedOn: number;
  evalOn: { dataset: string; split: string; n: number } | null;
  seBlocks: SeDecisionDto[];
  /** The criterion asked for (a name or auto), and what each candidate measured (auto). */
  criterionRequested?: string;
  candidates?: { criterion: string; heldOutTop1: number | null; macsAfter: number; paramsAfter: number; error?: string }[];
  steps?: number;
  /** Whether the final model is within 2% of the MACs / params target (null: no such target). */
  targetMet?: boolean | null;
  bnRecalibratedLayers?: number;
  adaptiveBnLayers?: number;
}

export interface PruneResult {
  model: ModelInfo;
  report: PruneReport;
}

export type PruneRequest = PreviewPruneRequest;

export interface ModelRef {
  modelId: string;
}

export interface JobStarted {
  jobId: string;
  kind: JobKind;
  /** Present when the job waits for others to finish (at most JobRunner's limit run at once). */
  queued?: JobQueued;
}

/** A job waiting its turn: `position` 1 is next; `limit` jobs run at once. */
export interface JobQueued {
  position: number;
  limit: number;
}

export type JobKind = 'stats' | 'prune' | 'compare' | 'export' | 'finetune';

/** Compare any models of the session on one dataset (the `seprune compare` report). */
export interface CompareRequest {
  /** Two or more session models; the first is the baseline of the differences. */
  modelIds: string[];
  /** Images to compare on (the test split is the usual choice). */
  data: DataChoice;
  /** Measure batch-1 CPU latency (default true). */
  latency?: boolean;
}

export type {
  ComparePerClass as ComparePerClassDto,
  CompareRow as CompareRowDto,
  CompareDiff as CompareDiffDto,
  CompareReport as CompareReportDto,
} from '../eval/compare-types.js';
export interface CompareResult {
  modelIds: string[];
  report: CompareReportDto;
}

/** A format the app can export, with the precisions its writer supports. */
export interface ExportFormatDto {
  format: string;
  quant: string[];
  /** Whether the output is one file or a folder (TF.js). */
  output: 'file' | 'folder';
}

/** Export one session model in every chosen format × precision into a folder on the api's machine. */
export interface ExportRequestDto {
  modelId: string;
  /** An existing folder on the machine running the api. */
  outDir: string;
  /** Each format × precision to write (one file, or folder for TF.js, per entry). */
  targets: { format: string; quant: string }[];
  /** Calibration (train split) and verification (test split) images: dataset, limit, preprocessing. */
  data: DataChoice;
  /** Replace files that already exist. */
  force: boolean;
  /** TFLite int8 targets: float32 or int8 input and output tensors (default EXPORT_DEFAULTS.tfliteIo, as `seprune export --io`). */
  tfliteIo?: 'float' | 'int8';
}

/** Export settings the UI starts from (the CLI's flag defaults; a test keeps them equal). */
export const EXPORT_DEFAULTS: { tfliteIo: NonNullable<ExportRequestDto['tfliteIo']> } = { tfliteIo: 'float' };

/** One runtime's verification of a written file (export/types.ts VerifyReport). */
export interface VerifyRowDto {
  runtime: string;
  n: number;
  top1: number | null;
  top1Float: number | null;
  agreement: number;
  maxAbsDiff: number;
  bytes: number;
  latencyMs: number;
}

export interface ExportFileDto {
  file: string;
  format: string;
  quant: string;
  bytes: number;
  notes: string[];
  keptFloat: string[];
  verify: VerifyRowDto[];
  /** Every file this entry wrote, absolute paths on the api's machine: the file itself, or a TF.js folder's model.json and weight shards. */
  written?: { path: string; bytes: number }[];
}

export interface ExportResult {
  modelId: string;
  files: ExportFileDto[];
}

/** The tfjs backend fine-tuning would use, and why the faster ones were not. */
export interface BackendInfo {
  name: string;
  tried: { name: string; ok: boolean; reason: string }[];
  /** The PyTorch engine: whether a Python with torch was found, and its devices (auto picks the first). */
  torch?: TorchInfoDto;
}

export interface TorchInfoDto {
  available: boolean;
  /** What was found, or why no candidate Python can run torch. */
  reason: string;
  python?: string;
  version?: string;
  /** `cuda:0 NVIDIA …`, `mps`, `cpu`: the values of FinetuneRequest.device (before the first space). */
  devices: string[];
}

export interface FinetuneRequest {
  modelId: string;
  /** Training images (train split; `limit` images, class-balanced) and their preprocessing. */
  data: DataChoice;
  epochs: number;
  batchSize: number;
  /** Peak learning rate; null for the optimiser's default. */
  lr: number | null;
  optimizer: 'sgd' | 'adamw';
  /** Distil from this session model; null for none. The UI defaults to the model before pruning. */
  teacherId: string | null;
  /** Test images to measure the result on. */
  evalLimit: number;
  /** Training engine (default auto: torch when present, else tfjs). */
  engine?: string;
  /** Torch device: auto, cpu, cuda, cuda:N or mps (default auto). */
  device?: string;
  /** Learning-rate schedule (default app/train/defaults.ts DEFAULT_SCHEDULE, as `seprune finetune --schedule`). */
  schedule?: 'cosine' | 'onecycle' | 'constant';
  /** Distillation temperature, used only with a teacher (default DEFAULT_TEMPERATURE, as `--temperature`). */
  temperature?: number;
}

/** One training progress event (app/train/train-progress.ts). */
export type { TrainProgress as TrainProgressDto } from '../train/train-progress.js';

export interface FinetuneResult {
  /** The fine-tuned model, a new model of the session whose parent is the one trained. */
  model: ModelInfo;
  top1: number;
  top5: number;
  evalN: number;
  epochs: number;
  imagesPerSecond: number;
  backend: string;
  /** The engine that trained (torch or tfjs) and its device. */
  engine?: string;
  device?: string;
}

/** Save the whole session (every held model, parents kept) as one `.seprune` whose own model is `modelId`. */
export interface SaveProjectRequest {
  modelId: string;
  /** A `.seprune` path in an existing folder on the machine running the api. */
  path: string;
  /** Replace the file if it exists. */
  force: boolean;
}

export interface SaveProjectResult {
  /** The absolute path written. */
  path: string;
  bytes: number;
  /** How many models the file holds. */
  models: number;
}

/** What the file/folder browser lists: folders, and the files of the kind being chosen. */
export type BrowseKind = 'model' | 'folder';

export interface BrowseRequest {
  /** The folder to list; the user's home folder when absent. */
  path?: string;
  /** `model` lists model files (.seprune, .onnx, .json) beside the folders; `folder` lists folders only. */
  kind: BrowseKind;
  /** List names starting with a dot too. */
  hidden?: boolean;
}

export interface BrowseEntry {
  name: string;
  /** Absolute path on the machine running the api. */
  path: string;
  type: 'folder' | 'model';
  /** File size in bytes (files only). */
  bytes?: number;
}

export interface BrowseListing {
  /** The folder listed, absolute and normalised. */
  path: string;
  /** Its parent folder; null at the file-system root. */
  parent: string | null;
  /** Folders first, then files, each sorted by name. */
  entries: BrowseEntry[];
  /** True when the folder held more entries than the listing returns. */
  truncated: boolean;
  /** The dataset format this folder would open as (idx, cifar, image-folder), if it looks like one. */
  dataset: string | null;
  /** Places to start from: home, the working folder, the system datasets, the root. */
  places: { label: string; path: string }[];
}

/** A file or folder the user opened before (persisted in the user's config folder). */
export interface RecentFile {
  /** Absolute path on the machine running the api. */
  path: string;
  kind: 'model' | 'data';
  /** What to show instead of the path (e.g. the name of an uploaded file). */
  label?: string;
  /** ISO time it was last opened. */
  openedAt: string;
  /** Whether it is still there. */
  exists: boolean;
}

/**
 * Browser mode's model upload: `POST /api/upload` (token-checked like every /api route) with
 * `Content-Type: application/octet-stream` and the body
 * `[u32 little-endian header length][header JSON: UploadHeader][file 0 bytes][file 1 bytes]…`.
 * The host stores the files in its session folder and answers the opened ModelInfo (JSON), or a
 * 4xx `{ error }` sentence. Electron opens dropped files by path instead (no upload).
 */
export const UPLOAD_ROUTE = '/api/upload';

/**
 * The browser host's credential travels in this request header on every `/api` call, never in a
 * cookie (browsers send a host's cookies to every port of it, so any other web server on
 * 127.0.0.1 would receive them) and never in an API URL. The page takes the token from its own
 * address once (`/?token=…`, what the host prints) and keeps it.
 */
export const TOKEN_HEADER = 'x-seprune-token';

/**
 * Browser mode's download of an exported file: `POST /api/download` (token-checked like every /api
 * route, so the page fetches it with TOKEN_HEADER and saves the answer through a Blob) with the
 * JSON body DownloadRequest. The host answers the file's bytes, but only for a file that an export
 * job of this session wrote (ExportFileDto.written); anything else is 403 or 404 with `{ error }`.
 * Electron writes on the user's own machine and shows the path instead.
 */
export const DOWNLOAD_ROUTE = '/api/download';

export interface DownloadRequest {
  /** An ExportFileDto.written path. */
  path: string;
}

export interface UploadHeader {
  /** Plain file names (no folders): one model (.seprune, .onnx, or a TF.js model.json with its weight shards). */
  files: { name: string; bytes: number }[];
}

export interface UploadLimits {
  maxFiles: number;
  /** Total bytes of the files. */
  maxBytes: number;
  maxHeaderBytes: number;
}

/** The upload's limits (the host refuses more with one sentence). */
export const UPLOAD_LIMITS: Readonly<UploadLimits> = { maxFiles: 64, maxBytes: 1 << 30, maxHeaderBytes: 64 << 10 };

/** A model format the app opens (app/import/reader.ts ModelFormat): every list of model files in the page is made from these. */
export interface ModelFormatDto {
  /** How the app names the file: ".onnx", "TF.js model.json". */
  name: string;
  /** File name endings, lower case, with the dot. */
  extensions: string[];
  /** Endings of the files that travel with the model (TF.js weight shards), and what they are in words. */
  companions?: string[];
  companionsNote?: string;
}

/** Electron's native open dialog (desktop only). */
export interface OpenDialogRequest {
  kind: BrowseKind;
  title?: string;
}

/** Electron's native save dialog (desktop only): the session's .seprune. */
export interface SaveDialogRequest {
  title?: string;
  /** The file or folder it starts at. */
  defaultPath?: string;
}

/**
 * What only the desktop app offers: the native open and save dialogs, and the path of a dropped or chosen
 * File (Electron's webUtils.getPathForFile; the page itself never learns paths).
 */
export interface DesktopCalls {
  /** The chosen path, or null when the dialog was dismissed. */
  showOpenDialog(req: OpenDialogRequest): Promise<string | null>;
  /** The chosen path (the dialog asked before replacing a file), or null when dismissed. */
  showSaveDialog(req: SaveDialogRequest): Promise<string | null>;
  /** The local path of a File from a drop or a file input; '' when it has none. */
  pathForFile(file: Blob): string;
}

/** The IPC channel of the desktop-only dialog. */
export const OPEN_DIALOG_CHANNEL = 'desktop:showOpenDialog';
export const SAVE_DIALOG_CHANNEL = 'desktop:showSaveDialog';

/** What each job kind resolves to. */
export interface JobResults {
  stats: StatsResult;
  prune: PruneResult;
  compare: CompareResult;
  export: ExportResult;
  finetune: FinetuneResult;
}

/**
 * Events of long jobs, in order: queued* (while it waits its turn), progress*, then exactly one of
 * done / error / cancelled. A job leaving the queue first reports progress "starting" 0/0.
 */
export type JobEvent =
  | ({ type: 'queued'; jobId: string } & JobQueued)
  | { type: 'progress'; jobId: string; label: string; done: number; total: number; train?: TrainProgressDto }
  | { type: 'done'; jobId: string; kind: JobKind; result: JobResults[JobKind] }
  | { type: 'error'; jobId: string; message: string }
  | { type: 'cancelled'; jobId: string };

/**
 * Every call: request → response. A method with a `void` request takes no argument. Long jobs
 * (runStats, prune, compare, exportModel, finetune) answer at once with a job id; their result comes as a `done` JobEvent.
 */
export interface ApiMethods {
  version: { request: void; response: string };
  listZoo: { request: void; response: ZooListItem[] };
  listCriteria: { request: void; response: string[] };
  modelFormats: { request: void; response: ModelFormatDto[] };
  openModel: { request: OpenModelRequest; response: ModelInfo };
  runStats: { request: RunStatsRequest; response: JobStarted };
  previewPrune: { request: PreviewPruneRequest; response: PlanPreview };
  prune: { request: PruneRequest; response: JobStarted };
  undo: { request: ModelRef; response: ModelInfo };
  cancelJob: { request: { jobId: string }; response: { cancelled: boolean } };
  compare: { request: CompareRequest; response: JobStarted };
  exportFormats: { request: void; response: ExportFormatDto[] };
  exportModel: { request: ExportRequestDto; response: JobStarted };
  trainBackend: { request: void; response: BackendInfo };
  finetune: { request: FinetuneRequest; response: JobStarted };
  blockStats: { request: BlockStatsRequest; response: SeBlockStatsDto };
  browse: { request: BrowseRequest; response: BrowseListing };
  previewPreprocessing: { request: PreviewPreprocessingRequest; response: PreprocessPreviewDto };
  recentFiles: { request: void; response: RecentFile[] };
  forgetRecent: { request: { path: string; kind: RecentFile['kind'] }; response: RecentFile[] };
  sessionModels: { request: void; response: ModelInfo[] };
  saveProject: { request: SaveProjectRequest; response: SaveProjectResult };
}

export type ApiMethod = keyof ApiMethods;

/**
 * Every method once: a record keyed by ApiMethod, so the compiler refuses a method missing from
 * it or one ApiMethods does not declare; API_METHODS is its keys.
 */
const METHOD_TABLE: { [M in ApiMethod]: true } = {
  version: true,
  listZoo: true,
  listCriteria: true,
  modelFormats: true,
  openModel: true,
  runStats: true,
  previewPrune: true,
  prune: true,
  undo: true,
  cancelJob: true,
  compare: true,
  exportFormats: true,
  exportModel: true,
  trainBackend: true,
  finetune: true,
  blockStats: true,
  browse: true,
  previewPreprocessing: true,
  recentFiles: true,
  forgetRecent: true,
  sessionModels: true,
  saveProject: true,
};

/** Names of every method, for routing (HTTP `POST /api/<method>`, IPC `api:<method>`). */
export const API_METHODS = Object.keys(METHOD_TABLE) as readonly ApiMethod[];

/** The methods whose response is a started job. */
export type JobMethod = { [M in ApiMethod]: ApiMethods[M]['response'] extends JobStarted ? M : never }[ApiMethod];
const JOB_TABLE: { [M in JobMethod]: true } = { runStats: true, prune: true, compare: true, exportModel: true, finetune: true };

/** The methods that start a job (the browser client opens the event stream before calling them). */
export const JOB_METHODS = Object.keys(JOB_TABLE) as readonly JobMethod[];

/** The IPC channel of a method, and the one main uses to push job events to the page. */
export const ipcChannel = (m: ApiMethod): string => `api:${m}`;
export const JOB_EVENT_CHANNEL = 'api:job-event';

/** The api as the renderer sees it: one async function per method plus a job-event subscription. */
export type ApiCalls = {
  [M in ApiMethod]: ApiMethods[M]['request'] extends void
    ? () => Promise<ApiMethods[M]['response']>
    : (req: ApiMethods[M]['request']) => Promise<ApiMethods[M]['response']>;
};

export interface RendererApi extends ApiCalls {
  /** Calls `listener` with every job event; returns the unsubscribe function. */
  onJobEvent(listener: (e: JobEvent) => void): () => void;
  /** Present in the desktop app only. */
  desktop?: DesktopCalls;
}

/** Defaults the UI starts from (the CLI's defaults). */
export const PRUNE_DEFAULTS: PruneSettingsDto = {
  criterion: 'se-mean',
  target: { targetMacs: 0.5 },
  residual: 'freeze',
  roundTo: 1,
  minChannels: 1,
  fold: { mode: 'auto', constant: 0.01, identity: 0.02 },
  steps: 1,
  ignore: [],
  recalibrate: true,
  evalSplit: 'test',
  finetuneImages: 0,
};
