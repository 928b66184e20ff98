/**
 * A torch training job as a self-contained folder: job.json (every setting, defaults applied),
 * model.seprune (+ teacher.seprune), the data shards, the epoch orders, and the runner itself
 * (run.py + seprune_torch/), so `python3 DIR/run.py` trains it on any machine with PyTorch and no
 * Node.js; the runner writes progress.jsonl, checkpoints/ and result.seprune into the folder.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph, Preprocessing } from '../../model/ir.js';
import type { Dataset } from '../../data/types.js';
import { encodeProject } from '../../model/project-file.js';
import { UserError } from '../../model/errors.js';
import type { TrainOptions } from '../options.js';
import { planTraining, epochOrder, type TrainPlan } from '../plan.js';
import { writeShards } from './shards.js';

export const JOB_JSON = 'job.json';
export const RESULT_FILE = 'result.seprune';
export const PROGRESS_FILE = 'progress.jsonl';

/** Where the runner's Python sources live in this checkout. */
export const RUNNER_DIR = fileURLToPath(new URL('./py/', import.meta.url));

export interface TorchJobSettings {
  /** auto | cpu | cuda | cuda:N | mps. */
  device?: string;
  /** CPU threads torch uses (torch.set_num_threads); default: every core. */
  threads?: number;
  /** Mixed precision on CUDA. */
  amp?: boolean;
  /** SyncBatchNorm across DDP processes (CUDA). */
  syncBn?: boolean;
  /** What `--resume-job` needs to finish the command (model argument, data options, output). */
  origin?: Record<string, unknown>;
  /** Preprocessing and labels the checkpoints' model files carry. */
  project?: { preprocessing?: Preprocessing; labels?: string[] };
}

export interface TorchJob extends TorchJobSettings {
  format: 'seprune-torch-job';
  version: 1;
  model: string;
  teacher?: string;
  data: string;
  orders: string;
  out: string;
  checkpointDir?: string;
  resume: boolean;
  channelsLast: boolean;
  options: {
    epochs: number;
    batchSize: number;
    lr: number;
    optimizer: string;
    momentum: number;
    nesterov: boolean;
    weightDecay: number;
    schedule: string;
    warmupSteps: number;
    totalSteps: number;
    stepsPerEpoch: number;
    perEpoch: number;
    labelSmoothing: number;
    augment: { flip: boolean; shift: number; fill?: number[] } | null;
    temperature: number;
    alpha: number;
    cacheTeacher: boolean;
    seed: number;
  };
}

function copyRunner(dir: string): void {
  copyFileSync(join(RUNNER_DIR, 'run.py'), join(dir, 'run.py'));
  mkdirSync(join(dir, 'seprune_torch'), { recursive: true });
  for (const f of readdirSync(join(RUNNER_DIR, 'seprune_torch'))) {
    if (f.endsWith('.py')) copyFileSync(join(RUNNER_DIR, 'seprune_torch', f), join(dir, 'seprune_torch', f));
  }
}

function readme(job: TorchJob): string {
  return [
    'SE Prune Studio fine-tuning job (runs with Python, numpy and PyTorch; no Node.js needed).',
    '',
    'Run it here or copy this folder to a machine with PyTorch:',
    '  python3 run.py .                                  # CUDA, then MPS, then CPU (job.json "device")',
    '  torchrun --standalone --redirects 1 --tee 1 --nproc_per_node 4 run.py . # data-parallel over 4 local GPUs (DDP)',
    '  torchrun --nnodes 2 --node_rank 0 --master_addr HOST --master_port 29500 --nproc_per_node 8 run.py .',
    '                                                    # a cluster: the same line on every node, its own --node_rank',
    '',
    `Progress: ${PROGRESS_FILE} (one JSON object a line). Checkpoints: ${job.checkpointDir ?? '(none)'} after every epoch.`,
    `Result: ${RESULT_FILE}; bring it back with  seprune finetune --resume-job <this folder> --out finetuned.seprune`,
    '',
  ].join('\n');
}

export interface WrittenJob {
  dir: string;
  job: TorchJob;
  plan: TrainPlan;
  /** Bytes of image data in the shards. */
  dataBytes: number;
  skipped: number;
}

/** Writes the job folder for training `g` on `ds` with `o` (the trainer's options). */
export async function writeJob(g: Graph, ds: Dataset, o: TrainOptions, dir: string, s: TorchJobSettings = {}): Promise<WrittenJob> {
  const plan = await planTraining(g, ds, o);
  if (existsSync(join(dir, JOB_JSON))) throw new UserError(`${dir} already holds a job; choose an empty folder.`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.seprune'), Buffer.concat(encodeProject({ graph: g, history: [] })));
  if (o.teacher) writeFileSync(join(dir, 'teacher.seprune'), Buffer.concat(encodeProject({ graph: o.teacher, history: [] })));
  const shards = await writeShards(ds, plan.all, join(dir, 'data'), o.signal);
  const orders: number[][] = [];
  for (let e = 0; e < o.epochs; e++) {
    const pos = epochOrder(plan, e).map((i) => shards.position.get(i));
    orders.push(pos.filter((p): p is number => p !== undefined));
  }
  const perEpoch = Math.min(...orders.map((a) => a.length));
  if (perEpoch < 2) throw new UserError(`Training needs at least 2 images, ${ds.name} gave ${perEpoch} that could be read.`);
  const flat = new Int32Array(o.epochs * perEpoch);
  orders.forEach((a, e) => flat.set(a.slice(0, perEpoch), e * perEpoch));
  writeFileSync(join(dir, 'orders.bin'), new Uint8Array(flat.buffer));
  const stepsPerEpoch = Math.ceil(perEpoch / plan.batchSize);
  const aug = plan.augment;
  const job: TorchJob = {
    format: 'seprune-torch-job',
    version: 1,
    model: 'model.seprune',
    ...(o.teacher ? { teacher: 'teacher.seprune' } : {}),
    data: 'data',
    orders: 'orders.bin',
    out: RESULT_FILE,
    ...(o.checkpointDir ? { checkpointDir: inside(dir, o.checkpointDir) } : {}),
    resume: o.resume === true,
    device: s.device ?? 'auto',
    ...(s.threads ? { threads: s.threads } : {}),
    amp: s.amp === true,
    syncBn: s.syncBn === true,
    channelsLast: true,
    project: s.project ?? o.checkpointProject ?? {},
    ...(s.origin ? { origin: s.origin } : {}),
    options: {
      epochs: o.epochs,
      batchSize: plan.batchSize,
      lr: plan.lr,
      optimizer: plan.optimizer,
      momentum: plan.momentum,
      nesterov: plan.nesterov,
      weightDecay: plan.weightDecay,
      schedule: plan.schedule.kind,
      warmupSteps: plan.schedule.warmupSteps,
      totalSteps: stepsPerEpoch * o.epochs,
      stepsPerEpoch,
      perEpoch,
      labelSmoothing: plan.labelSmoothing,
      augment: aug && plan.augmenting ? { flip: aug.flip, shift: aug.shift, ...(aug.fill ? { fill: aug.fill } : {}) } : null,
      temperature: plan.temperature,
      alpha: plan.alpha,
      cacheTeacher: o.cacheTeacher !== false,
      seed: plan.seed,
    },
  };
  copyRunner(dir);
  writeFileSync(join(dir, 'README.txt'), readme(job));
  // job.json last: a folder with it is complete.
  writeFileSync(join(dir, JOB_JSON), JSON.stringify(job, null, 1));
  return { dir, job, plan, dataBytes: shards.bytes, skipped: shards.skipped };
}

/** `p` relative to the job folder when it lies inside it (so the folder can move), else absolute. */
function inside(dir: string, p: string): string {
  const r = relative(resolve(dir), resolve(p));
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : resolve(p);
}

/** Reads a job folder's job.json. */
export function readJob(dir: string): TorchJob {
  const p = join(dir, JOB_JSON);
  if (!existsSync(p)) throw new UserError(`${dir} is not a job folder (it has no ${JOB_JSON}).`);
  let job: TorchJob;
  try {
    job = JSON.parse(readFileSync(p, 'utf8')) as TorchJob;
  } catch (e) {
    throw new UserError(`${p} cannot be read: ${(e as Error).message.split('\n')[0]}.`);
  }
  if (job.format !== 'seprune-torch-job' || job.version !== 1) throw new UserError(`${p} is not a job this version writes.`);
  return job;
}

/** A path of the job, relative paths taken from its folder. */
export function jobPath(dir: string, p: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}
