/**
 * `seprune export <model> --format onnx|tflite|tfjs --quant fp32|fp16|int8 --out PATH`: writes the
 * model for mobile or web through the export registry, verifies the written file in a runtime
 * this project did not write (on by default), and reports accuracy, drift, size and latency.
 */
import type { CommandSpec, CommandContext } from '../command.js';
import { str } from '../command.js';
import { loadModel } from '../../import/load.js';
import type { LoadedModel } from '../../model/project.js';
import { DATA_OPTIONS, parseDataOptions, openCommandDataset, type ParsedData } from '../data-options.js';
import { sampleIndices } from '../../data/index.js';
import { UserError } from '../../model/errors.js';
import { pct } from '../format.js';
import { exportFormatNames } from '../../../export/registry.js';
import { checkExportTargets, exportTargets, needsCalibration } from '../../workflows/export.js';
import { exportMetadata } from '../../../export/metadata.js';
import type { CalibMethod } from '../../../export/types.js';
import type { EvalBatch } from '../../../export/verify/measure.js';
import { readImages, type ReadImages } from '../../workflows/read-images.js';

/** Calibration images when --limit is not given. */
const DEFAULT_CALIB_LIMIT = 500;

async function loadBatches(ctx: CommandContext, d: ParsedData, limit: number | undefined, what: string): Promise<ReadImages> {
  const ds = await openCommandDataset(ctx, d, what);
  const indices = sampleIndices(await ds.labels(), limit, d.seed);
  ctx.log(`${what}: ${ds.name} from ${ds.source} (${ds.split}), ${indices.length} of ${ds.size} images`);
  const read = await readImages(ds, indices, ctx.progress, `reading ${what} images`);
  ctx.progress.done();
  return read;
}

export const exportCommand: CommandSpec = {
  name: 'export',
  summary: 'Export for mobile and web (ONNX, TFLite, TF.js; fp32, fp16, int8) and verify the written file in an independent runtime.',
  options: {
    ...DATA_OPTIONS,
    format: { type: 'string', value: exportFormatNames().join('|'), description: 'Output format.' },
    quant: { type: 'string', value: 'fp32|fp16|int8', description: 'Precision.', default: 'fp32' },
    opset: { type: 'string', value: 'N', description: 'ONNX opset, 13 to 17.', default: '13' },
    'hard-swish': { type: 'string', value: 'op|decompose', description: 'TFLite: hard-swish as the HARD_SWISH op, or as ADD, MUL, MUL (XNNPACK runs those in int8, HARD_SWISH in fp32 only).', default: 'op' },
    io: { type: 'string', value: 'float|int8', description: 'TFLite int8: the input and output tensors in float32 (the file quantizes them) or in int8 (you quantize with the scale and zero point the file stores).', default: 'float' },
    calib: { type: 'string', value: 'DATASET', description: 'Calibration images for int8 (default: the train split of the --data set, never the images it verifies on).' },
    'calib-split': { type: 'string', value: 'train|test', description: 'Which split of --calib to calibrate on.', default: 'train' },
    'calib-method': { type: 'string', value: 'minmax|percentile', description: 'How activation ranges are taken from the calibration set.', default: 'minmax' },
    'no-gate-aware': { type: 'boolean', description: 'Quantize every SE gate path to int8 without measuring (by default ONNX keeps gate paths float, TFLite keeps float only the blocks where int8 measurably hurts).' },
    'no-verify': { type: 'boolean', description: 'Skip loading and measuring the written file in its runtimes.' },
    baseline: { type: 'string', value: 'MODEL', description: 'The unpruned model, exported the same way in the same run for a latency comparison (default: the model a pruned project was pruned from, when it still opens).' },
    'no-baseline': { type: 'boolean', description: 'Do not export and time the unpruned model.' },
    out: { type: 'string', value: 'PATH', description: 'Output file (a folder for tfjs).' },
    force: { type: 'boolean', description: 'Replace an existing output.' },
  },
  positionals: [{ name: 'model', required: true, description: 'A model file or zoo:<name>.' }],
  examples: [
    'seprune export zoo:se-mobilenet-demo --format onnx --quant int8 --calib fashion-mnist --data fashion-mnist --limit 500 --out model.onnx',
    'seprune export model.seprune --format tfjs --quant fp16 --out web-model --data fashion-mnist --json',
  ],
  async run(ctx) {
    const format = str(ctx, 'format');
    if (!format) throw new UserError(`Pass --format ${exportFormatNames().join(', ')}.`);
    const out = str(ctx, 'out');
    if (!out) throw new UserError('Pass --out <path> for the exported model.');
    const quant = str(ctx, 'quant') ?? 'fp32';
    const opsetText = str(ctx, 'opset') ?? '13';
    const opset = Number(opsetText);
    if (!Number.isInteger(opset) || opset < 13 || opset > 17) throw new UserError(`--opset must be an integer from 13 to 17, got "${opsetText}".`);
    const hardSwish = str(ctx, 'hard-swish') ?? 'op';
    if (hardSwish !== 'op' && hardSwish !== 'decompose') throw new UserError(`--hard-swish must be op or decompose, got "${hardSwish}".`);
    const io = str(ctx, 'io') ?? 'float';
    if (io !== 'float' && io !== 'int8') throw new UserError(`--io must be float or int8, got "${io}".`);
    const method = str(ctx, 'calib-method') ?? 'minmax';
    if (method !== 'minmax' && method !== 'percentile') throw new UserError(`--calib-method must be minmax or percentile, got "${method}".`);
    const verify = ctx.values['no-verify'] !== true;

    // Fail on a bad format or output before reading any images.
    const targets = [{ format, quant, out }];
    checkExportTargets(targets, { force: ctx.values.force === true, protect: [ctx.positionals[0]] });
    const m = await loadModel(ctx.positionals[0]);
    const data = parseDataOptions(ctx, m, { required: false, defaultSplit: 'test' });
    const calibGiven = str(ctx, 'calib') !== undefined;
    const calibOpts = parseDataOptions(ctx, m, { required: false, defaultSplit: 'train', flag: 'calib', splitFlag: 'calib-split' }) ?? (data ? { ...data, split: 'train' as const } : undefined);
    let calibLoaded: ReadImages | undefined;
    if (needsCalibration(targets)) {
      if (!calibOpts) throw new UserError('int8 export needs calibration images: pass --calib <dataset> (or --data <dataset>, whose train split is used).');
      calibLoaded = await loadBatches(ctx, calibOpts, calibOpts.limit ?? DEFAULT_CALIB_LIMIT, 'calibration');
    }
    const verifyLoaded = verify && data ? await loadBatches(ctx, data, data.limit, 'verification') : undefined;
    const verifyData = verifyLoaded?.batches;
    const sameImages = calibLoaded !== undefined && verifyLoaded !== undefined && calibLoaded.images === verifyLoaded.images;
    if (sameImages && !calibGiven) {
      throw new UserError(`${data!.data} has no train split apart from the ${data!.split} images the export is verified on: pass --calib <other images> (or --calib ${data!.data} --calib-split ${data!.split} to calibrate on them anyway).`);
    }
    if (sameImages) ctx.log('note: calibration uses the verification images (the same dataset and split, as asked), so the verified accuracy is not independent of the calibration.');
    if (verify && !data) ctx.log('verification without --data: the file is loaded and compared with the float model on 8 probe images; pass --data for accuracy.');
    const probe = verify && !data ? [probeBatch(m.project.graph.inputs[0].shape, 8)] : undefined;

    const baseline = verify && ctx.values['no-baseline'] !== true ? await loadBaseline(ctx, m) : undefined;
    const [r] = await exportTargets({
      graph: m.project.graph,
      meta: exportMetadata(m),
      targets,
      force: ctx.values.force === true,
      protect: [ctx.positionals[0]],
      writer: { opset, hardSwish, io, calibMethod: method as CalibMethod, gateAware: ctx.values['no-gate-aware'] !== true },
      ...(calibLoaded ? { calib: calibLoaded.batches } : {}),
      verify,
      ...(verifyData ?? probe ? { verifyData: verifyData ?? probe } : {}),
      ...(baseline ? { baseline } : {}),
      progress: ctx.progress,
    });
    const lines = [`wrote ${r.file} (${r.format} ${r.quant}, ${r.bytes} bytes)`, ...r.notes.map((n) => `  ${n}`)];
    for (const v of r.verifyAll) {
      if (v.refused) {
        lines.push(`${v.runtime}: refused the file: ${v.refused}`);
        continue;
      }
      const acc = v.top1 === null ? '' : `top-1 ${pct(v.top1)} (float ${pct(v.top1Float ?? 0)}), `;
      const first = v.agreementWithFirst === undefined ? '' : `, argmax agreement with ${r.verifyAll[0].runtime} ${pct(v.agreementWithFirst)}`;
      const lat = v.latencyMs ? `, batch-1 latency ${v.latencyMs.toFixed(2)} ms (median of ${v.latencyRuns} runs, ${v.threads ?? 1} thread${(v.threads ?? 1) > 1 ? 's' : ''})` : '';
      const base = r.baseline?.latency.find((b) => b.runtime === v.runtime);
      const vs = base ? `; unpruned ${r.baseline!.source} ${base.latencyMs.toFixed(2)} ms in the same run (${(base.latencyMs / v.latencyMs).toFixed(2)}×)` : '';
      lines.push(`${v.runtime}: ${acc}argmax agreement ${pct(v.agreement)} on ${v.n} images${first}, max |Δ logits| ${v.maxAbsDiff.toExponential(2)}${lat}${vs}`);
      if (v.caveat) lines.push(`  ${v.caveat}`);
    }
    if (r.baseline) lines.push(`unpruned ${r.baseline.source}: ${r.baseline.params} parameters, ${r.baseline.bytes} bytes as ${r.format} ${r.quant}`);
    if (!verify) lines.push('not verified (--no-verify)');
    if (calibLoaded) lines.push(`calibrated on ${calibLoaded.source} (${calibLoaded.split})${sameImages ? ': the verification images themselves, as asked' : ''}`);
    const calibration = calibLoaded ? { calibration: { source: calibLoaded.source, split: calibLoaded.split, sameAsVerification: sameImages } } : {};
    return { json: { model: m.source, ...r, ...calibration }, text: lines.join('\n') };
  },
};

/**
 * The unpruned model to export beside this one: --baseline, else the model a pruned project records
 * it was pruned from (when that still opens; a line says when it does not).
 */
async function loadBaseline(ctx: CommandContext, m: LoadedModel): Promise<{ graph: LoadedModel['project']['graph']; source: string } | undefined> {
  const given = str(ctx, 'baseline');
  const recorded = typeof m.project.graph.meta.prunedFrom === 'string' ? m.project.graph.meta.prunedFrom : undefined;
  const source = given ?? recorded;
  if (!source) return undefined;
  try {
    const b = await loadModel(source);
    const [theirs, ours] = [b.project.graph.inputs[0].shape.join('×'), m.project.graph.inputs[0].shape.join('×')];
    if (theirs !== ours) throw new UserError(`The baseline ${source} takes ${theirs} inputs where ${ctx.positionals[0]} takes ${ours}; pass the unpruned model it came from, or --no-baseline.`);
    return { graph: b.project.graph, source };
  } catch (e) {
    if (given || !(e instanceof UserError)) throw e;
    ctx.log(`latency without the unpruned model: ${source}, which this model was pruned from, does not open (${e.message.replace(/\.$/, '')}).`);
    return undefined;
  }
}

/** Deterministic unlabelled images in [0, 1] for a load-and-run check without a dataset. */
function probeBatch(shape: number[], n: number): EvalBatch {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * size);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  return { x, n };
}
