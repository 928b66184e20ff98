/**
 * `seprune finetune <model> --data <dataset> --epochs N --out finetuned.seprune`: fine-tunes on the
 * train split with PyTorch when a Python with torch is present (`--engine torch`, on CUDA, MPS or
 * the CPU) or with the built-in IR executor (`--engine tfjs`, best tfjs backend present),
 * optionally distilling from a teacher, checkpointing every epoch, then measures top-1 on the test
 * split through the inference engine. `--job-dir` writes the torch job as a folder that runs on
 * another machine with Python alone; `--resume-job` brings its result back. Ctrl-C stops after
 * the current step, keeping the last checkpoint; the input model is never written.
 */
import type { CommandContext, CommandSpec } from '../command.js';
import { str } from '../command.js';
import { loadModel } from '../../import/load.js';
import { saveProject } from '../../model/project-file.js';
import { UserError } from '../../model/errors.js';
import { checkWritable, checkWritableFolder } from '../../util/atomic-write.js';
import { resumeFoundNothing } from '../resume-check.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset, type ParsedData } from '../data-options.js';
import { sampleIndices } from '../../data/index.js';
import { chooseBackend, BACKEND_NAMES } from '../../engine/backend.js';
import { augmentFor, evaluateTrained, trainOn } from '../../workflows/finetune.js';
import { autoWorkers, checkpointExists, DEFAULT_LR, DEFAULT_SCHEDULE, DEFAULT_TEMPERATURE, DEFAULT_WEIGHT_DECAY, OPTIMIZER_KINDS, SCHEDULE_KINDS, type OptimizerKind, type ScheduleKind, type TrainProgress, type TrainResult, type EpochSummary } from '../../train/index.js';
import { chooseEngine, engineChoices, writeJob, readJob, jobPath, jobResult, PROGRESS_FILE, RESULT_FILE, type EngineChoice, type TorchRunInfo } from '../../train/torch/index.js';
import { decodeProject } from '../../model/project-file.js';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pct } from '../format.js';

// Training always reads the train split and evaluation the test split, so --split is not offered.
const { split: _split, ...TRAIN_DATA_OPTIONS } = DATA_OPTIONS;
void _split;

function num(ctx: CommandContext, key: string, o: { integer?: boolean; min?: number; max?: number; above?: number }): number | undefined {
  const v = str(ctx, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  const bad =
    v.trim() === '' ||
    !Number.isFinite(n) ||
    (o.integer && !Number.isInteger(n)) ||
    (o.min !== undefined && n < o.min) ||
    (o.max !== undefined && n > o.max) ||
    (o.above !== undefined && n <= o.above);
  if (bad) {
    const range = [o.min !== undefined ? `≥ ${o.min}` : '', o.above !== undefined ? `> ${o.above}` : '', o.max !== undefined ? `≤ ${o.max}` : ''].filter(Boolean).join(' and ');
    throw new UserError(`--${key} must be ${o.integer ? 'a whole number' : 'a number'}${range ? ` ${range}` : ''}, got "${v}".`);
  }
  return n;
}

function oneOf<T extends string>(ctx: CommandContext, key: string, allowed: readonly T[], dflt: T): T {
  const v = str(ctx, key) ?? dflt;
  if (!allowed.includes(v as T)) throw new UserError(`--${key} must be ${allowed.join(' or ')}, got "${v}".`);
  return v as T;
}

export const finetuneCommand: CommandSpec = {
  name: 'finetune',
  summary: 'Fine-tune a model on a dataset (SGD/AdamW, cosine/one-cycle, augmentation, optional distillation), checkpointing every epoch.',
  options: {
    ...TRAIN_DATA_OPTIONS,
    epochs: { type: 'string', value: 'N', description: 'Epochs to train (required).' },
    out: { type: 'string', value: 'PATH', description: 'Write the fine-tuned model as a .seprune project (required).' },
    force: { type: 'boolean', description: 'Replace an existing output file.' },
    teacher: { type: 'string', value: 'MODEL', description: 'Distil from this model (e.g. the unpruned original).' },
    temperature: { type: 'string', value: 'T', description: 'Distillation temperature.', default: String(DEFAULT_TEMPERATURE) },
    alpha: { type: 'string', value: 'F', description: 'Weight of the distillation loss (the rest is cross-entropy).', default: '0.5' },
    lr: { type: 'string', value: 'F', description: `Peak learning rate (default ${DEFAULT_LR.sgd} for sgd, ${DEFAULT_LR.adamw} for adamw).` },
    batch: { type: 'string', value: 'N', description: 'Batch size.', default: '32' },
    optimizer: { type: 'string', value: 'sgd|adamw', description: 'Optimiser.', default: 'sgd' },
    momentum: { type: 'string', value: 'F', description: 'SGD momentum.', default: '0.9' },
    nesterov: { type: 'boolean', description: 'Use Nesterov momentum (sgd).' },
    'weight-decay': { type: 'string', value: 'F', description: 'Weight decay on kernels, never on biases or BN (default 5e-4 for sgd, 0.01 for adamw).' },
    schedule: { type: 'string', value: 'cosine|onecycle|constant', description: 'Learning-rate schedule.', default: DEFAULT_SCHEDULE },
    warmup: { type: 'string', value: 'EPOCHS', description: 'Linear warm-up length in epochs (one-cycle: 0 = 30% of the run).', default: '0' },
    'label-smoothing': { type: 'string', value: 'F', description: 'Label smoothing ε.', default: '0' },
    'no-flip': { type: 'boolean', description: 'Do not flip training images horizontally at random.' },
    shift: { type: 'string', value: 'PX', description: 'Random shift of training images (RandomCrop padding), 0 for none.', default: '2' },
    'checkpoint-dir': { type: 'string', value: 'DIR', description: 'Write a checkpoint after every epoch into DIR.' },
    resume: { type: 'boolean', description: 'Continue from the checkpoint in --checkpoint-dir.' },
    backend: { type: 'string', value: BACKEND_NAMES.join('|'), description: 'Try this tfjs backend first (default: the fastest present).' },
    workers: { type: 'string', value: 'N|auto', description: 'Worker threads that each train on a share of every batch on the cpu backend (auto: one per idle core, at most 3; 0: none).', default: 'auto' },
    'eval-limit': { type: 'string', value: 'N', description: 'Evaluate on N test images (default: all).' },
    engine: { type: 'string', value: engineChoices().join('|'), description: 'Training engine (auto: PyTorch when a Python with torch is found — $SEPRUNE_PYTHON, else python3, python, /usr/bin/python3 — else the built-in tfjs engine).', default: 'auto' },
    device: { type: 'string', value: 'auto|cuda[:N]|mps|cpu', description: 'Torch device (auto: CUDA, then MPS, then CPU).', default: 'auto' },
    devices: { type: 'string', value: 'N', description: 'Torch: train data-parallel in N processes through torchrun (DDP; one per GPU).', default: '1' },
    threads: { type: 'string', value: 'N', description: 'Torch: CPU threads (torch.set_num_threads; default: every core, shared by --devices).' },
    amp: { type: 'boolean', description: 'Torch on CUDA: mixed precision (float16 autocast).' },
    'sync-bn': { type: 'boolean', description: 'Torch with --devices on CUDA: SyncBatchNorm across processes.' },
    'job-dir': { type: 'string', value: 'DIR', description: 'Write the torch job as a self-contained folder (python3 DIR/run.py runs it anywhere with PyTorch) instead of training.' },
    'resume-job': { type: 'string', value: 'DIR', description: 'Bring the result of a job folder back: evaluate it and write --out.' },
  },
  positionals: [{ name: 'model', required: false, description: 'A model file or zoo:<name> (not with --resume-job).' }],
  examples: [
    'seprune finetune pruned.seprune --data fashion-mnist --epochs 3 --teacher zoo:se-resnet-demo --out finetuned.seprune',
    'seprune finetune pruned.seprune --data fashion-mnist --epochs 10 --checkpoint-dir ckpt --resume --out finetuned.seprune --json',
    'seprune finetune pruned.seprune --data fashion-mnist --epochs 10 --engine torch --device cuda --amp --out finetuned.seprune',
    'seprune finetune pruned.seprune --data fashion-mnist --epochs 10 --job-dir job  # then: python3 job/run.py job',
    'seprune finetune --resume-job job --out finetuned.seprune',
  ],
  async run(ctx) {
    const resumeJob = str(ctx, 'resume-job');
    const jobDir = str(ctx, 'job-dir');
    const modelArg = resumeJob ? (ctx.positionals[0] ?? '') : ctx.positionals[0];
    if (!modelArg && !resumeJob) throw new UserError('Give the model to fine-tune (a model file or zoo:<name>).');
    const out = str(ctx, 'out');
    if (!out && !jobDir) throw new UserError('Give --out <file.seprune> for the fine-tuned model.');
    if (resumeJob) return finishJob(ctx, resumeJob, out!);
    const epochs = num(ctx, 'epochs', { integer: true, min: 1 });
    if (epochs === undefined) throw new UserError('Give --epochs N (the number of passes over the training data).');
    const teacherArg = str(ctx, 'teacher');
    const force = ctx.values.force === true;
    if (out) checkWritable(out, { force, protect: [modelArg, ...(teacherArg ? [teacherArg] : [])] });
    const optimizer = oneOf<OptimizerKind>(ctx, 'optimizer', OPTIMIZER_KINDS, 'sgd');
    const schedule = oneOf<ScheduleKind>(ctx, 'schedule', SCHEDULE_KINDS, DEFAULT_SCHEDULE);
    const checkpointDir = str(ctx, 'checkpoint-dir') ?? (jobDir ? resolve(jobDir, 'checkpoints') : undefined);
    const resume = ctx.values.resume === true;
    if (resume && !checkpointDir) throw new UserError('--resume needs --checkpoint-dir <DIR> (where the checkpoint is).');
    if (checkpointDir && !resume && checkpointExists(checkpointDir)) {
      throw new UserError(`${checkpointDir} already holds a checkpoint; pass --resume to continue from it or choose another --checkpoint-dir.`);
    }
    if (resume && checkpointDir && !checkpointExists(checkpointDir)) throw new UserError(resumeFoundNothing(checkpointDir));
    if (checkpointDir) checkWritableFolder(checkpointDir, 'Checkpoint folder');
    const opts = {
      epochs,
      batchSize: num(ctx, 'batch', { integer: true, min: 2 }) ?? 32,
      lr: num(ctx, 'lr', { above: 0 }),
      optimizer,
      momentum: num(ctx, 'momentum', { min: 0, max: 1 }),
      nesterov: ctx.values.nesterov === true,
      weightDecay: num(ctx, 'weight-decay', { min: 0 }),
      schedule,
      warmup: num(ctx, 'warmup', { min: 0 }) ?? 0,
      labelSmoothing: num(ctx, 'label-smoothing', { min: 0, max: 0.99 }) ?? 0,
      temperature: num(ctx, 'temperature', { above: 0 }) ?? DEFAULT_TEMPERATURE,
      alpha: num(ctx, 'alpha', { min: 0, max: 1 }) ?? 0.5,
    };
    const shift = num(ctx, 'shift', { integer: true, min: 0 }) ?? 2;
    const evalLimit = num(ctx, 'eval-limit', { integer: true, min: 1 });
    const workersWanted = (str(ctx, 'workers') ?? 'auto') === 'auto' ? autoWorkers() : num(ctx, 'workers', { integer: true, min: 0, max: 64 })!;
    const devices = num(ctx, 'devices', { integer: true, min: 1, max: 1024 }) ?? 1;
    const threads = num(ctx, 'threads', { integer: true, min: 1, max: 1024 });
    // A job folder is for PyTorch by definition; it may be run elsewhere, so no local torch is needed.
    const decision = jobDir
      ? undefined
      : chooseEngine(oneOf<EngineChoice>(ctx, 'engine', engineChoices(), 'auto'), str(ctx, 'device') ?? 'auto');
    if (decision && decision.engine === 'tfjs' && devices > 1) throw new UserError(`--devices ${devices} needs the torch engine (${decision.notUsed[0]?.reason}).`);

    const m = await loadModel(modelArg);
    const g = m.project.graph;
    const teacher = teacherArg ? await loadModel(teacherArg) : undefined;
    const d = parseDataOptions(ctx, m, { required: true, defaultSplit: 'train' })!;
    const ds = await openCommandDataset(ctx, { ...d, split: 'train' }, 'training');
    const indices = sampleIndices(await ds.labels(), d.limit, d.seed);
    ctx.log(`data: ${ds.name} from ${ds.source} (train), ${indices.length} of ${ds.size} images`);

    const trainOptions = {
      ...opts,
      lr: opts.lr,
      augment: augmentFor(d.preprocess, { flip: ctx.values['no-flip'] !== true, shift }),
      ...(teacher ? { teacher: teacher.project.graph } : {}),
      seed: d.seed,
      indices,
      ...(checkpointDir ? { checkpointDir, checkpointProject: { preprocessing: d.preprocess, labels: ds.classes } } : {}),
      resume,
    };
    const details = { ...opts, lr: opts.lr ?? DEFAULT_LR[optimizer], weightDecay: opts.weightDecay ?? DEFAULT_WEIGHT_DECAY[optimizer], shift, flip: ctx.values['no-flip'] !== true, teacher: teacherArg, data: ds.name, images: indices.length };
    const torchSettings = { device: str(ctx, 'device') ?? 'auto', amp: ctx.values.amp === true, syncBn: ctx.values['sync-bn'] === true, ...(threads ? { threads } : {}) };

    if (jobDir) {
      const origin = { model: resolveArg(modelArg), ...(teacherArg ? { teacher: resolveArg(teacherArg) } : {}), data: { ...d, data: resolveArg(d.data) }, evalLimit, details };
      const w = await writeJob(g, ds, trainOptions, jobDir, { ...torchSettings, origin, project: { preprocessing: d.preprocess, labels: ds.classes } });
      const run = `python3 ${w.dir}/run.py ${w.dir}`;
      const torchrun = `torchrun --standalone --redirects 1 --tee 1 --nproc_per_node ${Math.max(devices, 2)} ${w.dir}/run.py ${w.dir}`;
      return {
        json: { jobDir: w.dir, images: w.plan.perEpoch, dataBytes: w.dataBytes, skipped: w.skipped, run, torchrun, resume: `seprune finetune --resume-job ${w.dir} --out finetuned.seprune` },
        text: [
          `wrote the job folder ${w.dir} (${w.plan.perEpoch} images, ${(w.dataBytes / 1e6).toFixed(1)} MB of image data)`,
          `run it with PyTorch (here or on any machine with Python + torch):  ${run}`,
          `or data-parallel:  ${torchrun}   (README.txt has the cluster line)`,
          `then: seprune finetune --resume-job ${w.dir} --out finetuned.seprune`,
        ].join('\n'),
      };
    }
    const dec = decision!;
    let backend: Awaited<ReturnType<typeof chooseBackend>> | undefined;
    if (dec.engine === 'torch') {
      ctx.log(`engine: torch on ${dec.device} (${dec.why}); not used: ${dec.notUsed.map((n) => `${n.engine}: ${n.reason}`).join('; ')}`);
    } else {
      backend = await chooseBackend(str(ctx, 'backend'));
      ctx.log(`engine: tfjs (${dec.why}); not used: ${dec.notUsed.map((n) => `${n.engine}: ${n.reason}`).join('; ')}`);
      ctx.log(`backend: ${backend.name}${backend.tried.length > 1 ? ` (not used: ${backend.tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`).join('; ')})` : ''}`);
    }
    const workers = dec.engine === 'tfjs' ? workersWanted : 0;

    const ac = new AbortController();
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      ctx.progress.done();
      ctx.log('cancelling after the current step (Ctrl-C again to quit at once)…');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    const callbacks = {
      signal: ac.signal,
      onProgress: (ev: TrainProgress) =>
        ctx.progress.update(
          `epoch ${ev.epoch}/${ev.epochs} loss ${ev.loss.toFixed(3)} acc ${pct(ev.accuracy, 1)} ${ev.imagesPerSecond.toFixed(0)} img/s`,
          ev.step,
          ev.steps,
          ev.etaSeconds,
        ),
      onEpoch: (s: EpochSummary) => {
        ctx.progress.done();
        ctx.log(`epoch ${s.epoch}: loss ${s.loss.toFixed(4)}, train accuracy ${pct(s.accuracy)}, ${s.imagesPerSecond.toFixed(1)} images/s, lr ${s.lr.toPrecision(3)}`);
      },
    };
    let r: TrainResult & Partial<TorchRunInfo>;
    try {
      const { device: _asked, ...torch } = torchSettings;
      void _asked; // the engine decision holds the device
      r = await trainOn({ graph: g, ds, options: { ...trainOptions, ...callbacks }, engine: dec, torch: { ...torch, devices }, workers });
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (r.parallelProblem) ctx.log(`trained on one thread: the data-parallel workers did not start (${r.parallelProblem})`);
    if (r.resumedFrom !== undefined) ctx.log(`resumed from the checkpoint of epoch ${r.resumedFrom}`);
    const engine = { engine: dec.engine, device: r.device ?? backend!.name, ...(r.deviceName ? { deviceName: r.deviceName } : {}), why: dec.why, notUsed: dec.notUsed, ...(r.torch ? { torch: r.torch } : {}) };
    return finish(ctx, { m, modelArg, teacherArg, d, ds, r, evalLimit, out: out!, force, details, engine, backend, checkpointDir });
  },
};

type EngineReport = { engine: string; device: string; deviceName?: string; why: string; notUsed: { engine: string; reason: string }[]; torch?: string };

/** Evaluates the trained graph on the test split, writes --out, and words the result. */
async function finish(
  ctx: CommandContext,
  a: {
    m: Awaited<ReturnType<typeof loadModel>>;
    modelArg: string;
    teacherArg?: string;
    d: ParsedData;
    ds: { name: string; classes: string[] };
    r: TrainResult;
    evalLimit?: number;
    out: string;
    force: boolean;
    details: Record<string, unknown>;
    engine: EngineReport;
    backend?: Awaited<ReturnType<typeof chooseBackend>>;
    checkpointDir?: string;
  },
) {
  const { m, r, d, out } = a;
  const test = await openCommandDataset(ctx, { ...d, split: 'test' }, 'evaluation');
  const testIdx = sampleIndices(await test.labels(), a.evalLimit, d.seed);
  const ev = await evaluateTrained(r.graph, test, testIdx, ctx.progress);
  ctx.progress.done();

  const { stats: _stale, ...rest } = m.project;
  void _stale; // gate statistics describe the old weights
  const protect = [a.modelArg, ...(a.teacherArg ? [a.teacherArg] : [])].filter(Boolean);
  const details = { ...a.details, top1: ev.top1, engine: a.engine.engine, device: a.engine.device, backend: a.backend?.name ?? a.engine.engine, threads: r.threads };
  const bytes = saveProject(
    out,
    { ...rest, graph: r.graph, preprocessing: d.preprocess, labels: a.ds.classes, history: [...m.project.history, { step: 'finetune', at: new Date().toISOString(), details: JSON.parse(JSON.stringify(details)) as Record<string, unknown> }] },
    { force: a.force, protect },
  );
  const on = a.engine.engine === 'torch' ? `torch ${a.engine.torch ?? ''} on ${a.engine.deviceName ?? a.engine.device}` : (a.backend?.name ?? 'tfjs');
  const json = {
    model: m.source,
    out,
    bytes,
    top1: ev.top1,
    top5: ev.top5,
    evaluated: { data: test.name, source: test.source, split: test.split, n: ev.n, engine: ev.engine },
    epochs: r.epochs,
    imagesPerSecond: r.imagesPerSecond,
    teacherImages: r.teacherImages,
    engine: a.engine.engine,
    device: a.engine.device,
    ...(a.engine.deviceName ? { deviceName: a.engine.deviceName } : {}),
    engineWhy: a.engine.why,
    enginesNotUsed: a.engine.notUsed,
    ...(a.engine.torch ? { torch: a.engine.torch } : {}),
    backend: a.backend?.name ?? a.engine.engine,
    threads: r.threads,
    ...(a.backend ? { backendsTried: a.backend.tried } : {}),
    ...(r.resumedFrom !== undefined ? { resumedFrom: r.resumedFrom } : {}),
    ...(a.checkpointDir ? { checkpointDir: a.checkpointDir } : {}),
    history: r.history,
  };
  const text = [
    `fine-tuned ${m.source} for ${r.epochs} epoch(s) on ${on}${r.threads > 1 ? ` (${r.threads} threads)` : ''} at ${r.imagesPerSecond.toFixed(1)} images/s`,
    `test top-1 ${pct(ev.top1)}  top-5 ${pct(ev.top5)} (${ev.n} images, ${ev.engine})`,
    `written to ${out}`,
  ].join('\n');
  return { json, text };
}

/** A file argument as an absolute path (zoo names and builtin dataset names unchanged). */
function resolveArg(arg: string): string {
  return arg.startsWith('zoo:') || !existsSync(arg) ? arg : resolve(arg);
}

/** `--resume-job DIR`: the finished job's result, evaluated and written as --out. */
async function finishJob(ctx: CommandContext, dir: string, out: string) {
  const job = readJob(dir);
  const resultPath = jobPath(dir, job.out ?? RESULT_FILE);
  if (!existsSync(resultPath)) throw new UserError(`The job in ${dir} has not finished (it has no ${RESULT_FILE}); run python3 ${dir}/run.py ${dir} first.`);
  const events = existsSync(join(dir, PROGRESS_FILE)) ? readFileSync(join(dir, PROGRESS_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown }) : [];
  const done = events.filter((e) => e.event === 'done').pop();
  const started = events.filter((e) => e.event === 'started').pop();
  if (!done || !started) throw new UserError(`The job in ${dir} has a result but no finished run in ${PROGRESS_FILE}.`);
  const origin = (job.origin ?? {}) as { model?: string; teacher?: string; data?: ParsedData; evalLimit?: number; details?: Record<string, unknown> };
  const force = ctx.values.force === true;
  const modelArg = ctx.positionals[0] ?? origin.model ?? jobPath(dir, job.model);
  checkWritable(out, { force, protect: [modelArg, resultPath] });
  const m = existsSync(modelArg) || modelArg.startsWith('zoo:') ? await loadModel(modelArg) : { source: jobPath(dir, job.model), project: decodeProject(readFileSync(jobPath(dir, job.model))) } as Awaited<ReturnType<typeof loadModel>>;
  const d: ParsedData | undefined = str(ctx, 'data') ? parseDataOptions(ctx, m, { required: true, defaultSplit: 'test' }) : origin.data;
  if (!d) throw new UserError(`The job in ${dir} does not say which dataset it came from; give --data.`);
  const r = jobResult(dir, done, started, 'python3');
  ctx.log(`job ${dir}: trained with torch ${r.torch} on ${r.deviceName} (${r.worldSize} process${r.worldSize > 1 ? 'es' : ''})`);
  const engine: EngineReport = { engine: 'torch', device: r.device, deviceName: r.deviceName, why: `the job folder ${dir} ran on PyTorch`, notUsed: [], torch: r.torch };
  return finish(ctx, { m, modelArg, d, ds: { name: d.data, classes: job.project?.labels ?? m.project.labels ?? [] }, r, evalLimit: num(ctx, 'eval-limit', { integer: true, min: 1 }) ?? origin.evalLimit, out, force, details: { ...(origin.details ?? {}), job: resolve(dir) }, engine });
}
