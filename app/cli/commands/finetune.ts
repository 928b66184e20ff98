/**
 * `seprune finetune <model> --data <dataset> --epochs N --out finetuned.seprune`: fine-tunes on the
 * train split with the IR executor (best tfjs backend present), optionally distilling from a
 * teacher, checkpointing every epoch, then measures top-1 on the test split through the inference
 * engine. Ctrl-C stops after the current step, keeping the last checkpoint; the input model is
 * never written.
 */
import type { CommandContext, CommandSpec } from '../command.js';
import { str } from '../command.js';
import { loadModel, saveProject } from '../../model/load.js';
import { UserError } from '../../model/errors.js';
import { checkWritable, checkWritableFolder } from '../../util/atomic-write.js';
import { resumeFoundNothing } from '../resume-check.js';
import { DATA_OPTIONS, parseDataOptions, checkInputShape } from '../data-options.js';
import { openDataset, sampleIndices } from '../../data/index.js';
import { chooseBackend, BACKEND_NAMES } from '../../engine/backend.js';
import { evaluate } from '../../eval/evaluate.js';
import { train, autoWorkers, checkpointExists, DEFAULT_LR, DEFAULT_WEIGHT_DECAY, OPTIMIZER_KINDS, SCHEDULE_KINDS, type OptimizerKind, type ScheduleKind, type TrainProgress } from '../../train/index.js';
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

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
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
    temperature: { type: 'string', value: 'T', description: 'Distillation temperature.', default: '4' },
    alpha: { type: 'string', value: 'F', description: 'Weight of the distillation loss (the rest is cross-entropy).', default: '0.5' },
    lr: { type: 'string', value: 'F', description: 'Peak learning rate (default 0.05 for sgd, 0.001 for adamw).' },
    batch: { type: 'string', value: 'N', description: 'Batch size.', default: '32' },
    optimizer: { type: 'string', value: 'sgd|adamw', description: 'Optimiser.', default: 'sgd' },
    momentum: { type: 'string', value: 'F', description: 'SGD momentum.', default: '0.9' },
    nesterov: { type: 'boolean', description: 'Use Nesterov momentum (sgd).' },
    'weight-decay': { type: 'string', value: 'F', description: 'Weight decay on kernels, never on biases or BN (default 5e-4 for sgd, 0.01 for adamw).' },
    schedule: { type: 'string', value: 'cosine|onecycle|constant', description: 'Learning-rate schedule.', default: 'cosine' },
    warmup: { type: 'string', value: 'EPOCHS', description: 'Linear warm-up length in epochs (one-cycle: 0 = 30% of the run).', default: '0' },
    'label-smoothing': { type: 'string', value: 'F', description: 'Label smoothing ε.', default: '0' },
    'no-flip': { type: 'boolean', description: 'Do not flip training images horizontally at random.' },
    shift: { type: 'string', value: 'PX', description: 'Random shift of training images (RandomCrop padding), 0 for none.', default: '2' },
    'checkpoint-dir': { type: 'string', value: 'DIR', description: 'Write a checkpoint after every epoch into DIR.' },
    resume: { type: 'boolean', description: 'Continue from the checkpoint in --checkpoint-dir.' },
    backend: { type: 'string', value: BACKEND_NAMES.join('|'), description: 'Try this tfjs backend first (default: the fastest present).' },
    workers: { type: 'string', value: 'N|auto', description: 'Worker threads that each train on a share of every batch on the cpu backend (auto: one per idle core, at most 3; 0: none).', default: 'auto' },
    'eval-limit': { type: 'string', value: 'N', description: 'Evaluate on N test images (default: all).' },
  },
  positionals: [{ name: 'model', required: true, description: 'A model file or zoo:<name>.' }],
  examples: [
    'seprune finetune pruned.seprune --data fashion-mnist --epochs 3 --teacher zoo:se-resnet-demo --out finetuned.seprune',
    'seprune finetune pruned.seprune --data fashion-mnist --epochs 10 --checkpoint-dir ckpt --resume --out finetuned.seprune --json',
  ],
  async run(ctx) {
    const modelArg = ctx.positionals[0];
    const out = str(ctx, 'out');
    if (!out) throw new UserError('Give --out <file.seprune> for the fine-tuned model.');
    const epochs = num(ctx, 'epochs', { integer: true, min: 1 });
    if (epochs === undefined) throw new UserError('Give --epochs N (the number of passes over the training data).');
    const teacherArg = str(ctx, 'teacher');
    const force = ctx.values.force === true;
    checkWritable(out, { force, protect: [modelArg, ...(teacherArg ? [teacherArg] : [])] });
    const optimizer = oneOf<OptimizerKind>(ctx, 'optimizer', OPTIMIZER_KINDS, 'sgd');
    const schedule = oneOf<ScheduleKind>(ctx, 'schedule', SCHEDULE_KINDS, 'cosine');
    const checkpointDir = str(ctx, 'checkpoint-dir');
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
      temperature: num(ctx, 'temperature', { above: 0 }) ?? 4,
      alpha: num(ctx, 'alpha', { min: 0, max: 1 }) ?? 0.5,
    };
    const shift = num(ctx, 'shift', { integer: true, min: 0 }) ?? 2;
    const workers = (str(ctx, 'workers') ?? 'auto') === 'auto' ? autoWorkers() : num(ctx, 'workers', { integer: true, min: 0, max: 64 })!;
    const evalLimit = num(ctx, 'eval-limit', { integer: true, min: 1 });

    const m = await loadModel(modelArg);
    const g = m.project.graph;
    const teacher = teacherArg ? await loadModel(teacherArg) : undefined;
    const d = parseDataOptions(ctx, m, { required: true, defaultSplit: 'train' })!;
    const ds = await openDataset({ ...d, split: 'train' });
    checkInputShape(ds.sampleShape, g.inputs[0].shape);
    const indices = sampleIndices(await ds.labels(), d.limit, d.seed);
    ctx.log(`data: ${ds.name} from ${ds.source} (train), ${indices.length} of ${ds.size} images`);

    const backend = await chooseBackend(str(ctx, 'backend'));
    ctx.log(`backend: ${backend.name}${backend.tried.length > 1 ? ` (not used: ${backend.tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`).join('; ')})` : ''}`);

    // A black border after normalisation is −mean/std per channel.
    const fill = d.preprocess.mean.map((mu, i) => -mu / (d.preprocess.std[i] ?? d.preprocess.std[0]));
    const ac = new AbortController();
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(130);
      ctx.progress.done();
      ctx.log('cancelling after the current step (Ctrl-C again to quit at once)…');
      ac.abort();
    };
    process.on('SIGINT', onSigint);
    let r;
    try {
      r = await train(g, ds, {
        ...opts,
        lr: opts.lr,
        augment: { flip: ctx.values['no-flip'] !== true, shift, fill },
        ...(teacher ? { teacher: teacher.project.graph } : {}),
        seed: d.seed,
        indices,
        ...(checkpointDir ? { checkpointDir, checkpointProject: { preprocessing: d.preprocess, labels: ds.classes } } : {}),
        resume,
        workers,
        signal: ac.signal,
        onProgress: (ev: TrainProgress) =>
          ctx.progress.update(
            `epoch ${ev.epoch}/${ev.epochs} loss ${ev.loss.toFixed(3)} acc ${pct(ev.accuracy, 1)} ${ev.imagesPerSecond.toFixed(0)} img/s ETA ${duration(ev.etaSeconds)}`,
            ev.step,
            ev.steps,
          ),
        onEpoch: (s) => {
          ctx.progress.done();
          ctx.log(`epoch ${s.epoch}: loss ${s.loss.toFixed(4)}, train accuracy ${pct(s.accuracy)}, ${s.imagesPerSecond.toFixed(1)} images/s, lr ${s.lr.toPrecision(3)}`);
        },
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (r.parallelProblem) ctx.log(`trained on one thread: the data-parallel workers did not start (${r.parallelProblem})`);
    if (r.resumedFrom !== undefined) ctx.log(`resumed from the checkpoint of epoch ${r.resumedFrom}`);

    const test = await openDataset({ ...d, split: 'test' });
    checkInputShape(test.sampleShape, g.inputs[0].shape);
    const testIdx = sampleIndices(await test.labels(), evalLimit, d.seed);
    const ev = await evaluate(r.graph, test, testIdx, { progress: ctx.progress });
    ctx.progress.done();

    const { stats: _stale, ...rest } = m.project;
    void _stale; // gate statistics describe the old weights
    const details = { ...opts, lr: opts.lr ?? DEFAULT_LR[optimizer], weightDecay: opts.weightDecay ?? DEFAULT_WEIGHT_DECAY[optimizer], shift, flip: ctx.values['no-flip'] !== true, teacher: teacherArg, data: ds.name, images: indices.length, top1: ev.top1, backend: backend.name, threads: r.threads };
    const bytes = saveProject(
      out,
      { ...rest, graph: r.graph, preprocessing: d.preprocess, labels: ds.classes, history: [...m.project.history, { step: 'finetune', at: new Date().toISOString(), details: JSON.parse(JSON.stringify(details)) as Record<string, unknown> }] },
      { force, protect: [modelArg, ...(teacherArg ? [teacherArg] : [])] },
    );
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
      backend: backend.name,
      threads: r.threads,
      backendsTried: backend.tried,
      ...(r.resumedFrom !== undefined ? { resumedFrom: r.resumedFrom } : {}),
      ...(checkpointDir ? { checkpointDir } : {}),
      history: r.history,
    };
    const text = [
      `fine-tuned ${m.source} for ${r.epochs} epoch(s) on ${backend.name}${r.threads > 1 ? ` (${r.threads} threads)` : ''} at ${r.imagesPerSecond.toFixed(1)} images/s`,
      `test top-1 ${pct(ev.top1)}  top-5 ${pct(ev.top5)} (${ev.n} images, ${ev.engine})`,
      `written to ${out}`,
    ].join('\n');
    return { json, text };
  },
};
