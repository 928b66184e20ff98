/** The pipeline's text form, timm configs, old projects' fields, and one-sentence mistakes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../model/errors.js';
import { parseTransform, parseTransformFile } from './transform-parse.js';
import { borderValue, checkPipeline, fromPipeline, describePipeline, fixedPipelineSize, pipelineOf, pipelineShape, runPipeline, withPipeline } from './transform.js';
import { timmPipeline } from './timm-config.js';

test('parses what a PyTorch user copies: Compose, prefixes, keywords, tuples, InterpolationMode', () => {
  const a = parseTransform('Resize(36),CenterCrop(32),ToTensor(),Normalize(0.2860,0.3530),Pad(2)');
  assert.deepEqual(a, [
    { op: 'Resize', size: 36, interpolation: 'bilinear' },
    { op: 'CenterCrop', size: [32, 32] },
    { op: 'ToTensor' },
    { op: 'Normalize', mean: [0.286], std: [0.353] },
    { op: 'Pad', padding: [2, 2, 2, 2], fill: 0, paddingMode: 'constant' },
  ]);
  const b = parseTransform(`transforms.Compose([
      transforms.Resize((36, 36), interpolation=InterpolationMode.BICUBIC),
      T.Grayscale(num_output_channels=1),
      transforms.ToTensor(),
      transforms.Normalize(mean=(0.5,), std=(0.5,)),
      transforms.Pad((1, 2), fill=0.25, padding_mode="reflect"),
  ])`);
  assert.deepEqual(b, [
    { op: 'Resize', size: [36, 36], interpolation: 'bicubic' },
    { op: 'Grayscale', numOutputChannels: 1 },
    { op: 'ToTensor' },
    { op: 'Normalize', mean: [0.5], std: [0.5] },
    { op: 'Pad', padding: [1, 2, 1, 2], fill: 0.25, paddingMode: 'reflect' },
  ]);
  assert.deepEqual(parseTransform('Resize(256, interpolation=3, antialias=True)')[0], { op: 'Resize', size: 256, interpolation: 'bicubic', antialias: true });
  // The text form reads back to the same steps, from the string and from a JSON file.
  for (const steps of [a, b]) {
    assert.deepEqual(parseTransform(describePipeline(steps)), steps);
    assert.deepEqual(parseTransformFile(JSON.stringify(steps), 'f.json'), steps);
    assert.deepEqual(parseTransformFile(JSON.stringify({ steps }), 'f.json'), steps);
  }
  assert.equal(describePipeline(a), 'Resize(36), CenterCrop(32), ToTensor(), Normalize(0.286, 0.353), Pad(2)');
});

test('bad transforms are one sentence naming the step', () => {
  const bad: [string, RegExp][] = [
    ['Resize(36), Rezise(32), ToTensor()', /^Rezise\(32\): Rezise is not a supported step/],
    ['ToTensor(), Normalize(0.5)', /^Normalize\(0\.5\): Normalize needs mean and std/],
    ["Pad(2, mode='edge'), ToTensor()", /^Pad\(2, mode='edge'\): Pad has no argument "mode"/],
    ["Pad(2, padding_mode='wrap')", /padding_mode must be one of/],
    ['Resize(36, interpolation=InterpolationMode.FANCY)', /unknown interpolation/],
    ['Resize(36', /^Cannot read the transform "Resize\(36": expected/],
    ['Resize(-3)', /size must be a positive whole number/],
    ['', /The transform is empty/],
    ['RandomHorizontalFlip(), ToTensor()', /^RandomHorizontalFlip\(\): RandomHorizontalFlip is a training-time augmentation; give the evaluation transform/],
  ];
  for (const [s, re] of bad) {
    assert.throws(() => parseTransform(s), (e: unknown) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), s);
  }
  const check: [string, RegExp][] = [
    ['Normalize(0.5, 0.5), ToTensor()', /^step 1 \(Normalize\(0\.5, 0\.5\)\): Normalize works on tensors; put it after ToTensor\(\)\.$/],
    ['Resize(32)', /has no ToTensor\(\)/],
    ['ToTensor(), Resize(32, interpolation=InterpolationMode.LANCZOS)', /^step 2 .*only nearest, bilinear and bicubic/],
    ['Pad(2, fill=0.5), ToTensor()', /^step 1 .*whole number 0–255/],
    ['ToTensor(), Normalize((0.5, 0.5, 0.5), (1, 1, 1))', /need 1 or 1 values for a 1-channel model/],
  ];
  for (const [s, re] of check) assert.throws(() => checkPipeline(parseTransform(s), 1), (e: unknown) => e instanceof UserError && re.test(e.message), s);
});

test('an old project\'s fields imply Resize → CenterCrop → Pad → ToTensor → Normalize', () => {
  const old = { resize: 36, centerCrop: 32, pad: 2, mean: [0.286], std: [0.353], channels: 1 as const };
  assert.equal(describePipeline(pipelineOf(old)), 'Resize(36), CenterCrop(32), Pad(2), ToTensor(), Normalize(0.286, 0.353)');
  assert.equal(describePipeline(pipelineOf({ mean: [0], std: [1], channels: 1 })), 'ToTensor()');
  const converted = withPipeline(old);
  assert.deepEqual(converted.steps, pipelineOf(old));
  assert.deepEqual([converted.mean, converted.std, converted.channels], [[0.286], [0.353], 1]);
  assert.equal(converted.pad, undefined);
});

test('Normalize then Pad fills the border with 0, Pad then Normalize with −mean/std', () => {
  const img = { data: Uint8Array.from([255, 0, 0, 255]), h: 2, w: 2, c: 1 };
  const after = runPipeline(img, parseTransform('ToTensor(), Normalize(0.25, 0.5), Pad(1)'), 1);
  const before = runPipeline(img, parseTransform('Pad(1), ToTensor(), Normalize(0.25, 0.5)'), 1);
  assert.equal(after.length, 16);
  assert.equal(after[0], 0);
  assert.equal(before[0], -0.5);
  assert.equal(after[5], 1.5); // the image itself is the same either way
  assert.equal(before[5], 1.5);
  assert.deepEqual(pipelineShape(28, 28, parseTransform('ToTensor(), Pad(2)'), 1), [32, 32, 1]);
  assert.equal(fixedPipelineSize(parseTransform('ToTensor(), Pad(2)')), undefined);
  assert.deepEqual(fixedPipelineSize(parseTransform('Resize(40), CenterCrop(30), ToTensor(), Pad(1)')), [32, 32]);
  assert.deepEqual(fixedPipelineSize(parseTransform('CenterCrop((30, 60)), Resize(20), ToTensor()')), [20, 40]);
  assert.deepEqual(pipelineShape(375, 500, parseTransform('Resize(256, max_size=300), ToTensor()'), 3), [225, 300, 3]);
});

test('timm pretrained_cfg → Resize(floor(size / crop_pct)), CenterCrop, ToTensor, Normalize', () => {
  const cfg = { input_size: [3, 224, 224], interpolation: 'bicubic', crop_pct: 0.875, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], test_input_size: [3, 288, 288] };
  const t = timmPipeline(cfg, 'cfg.json');
  assert.equal(t.channels, 3);
  assert.equal(describePipeline(t.steps), 'Resize(256, interpolation=InterpolationMode.BICUBIC), CenterCrop(224), ToTensor(), Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))');
  // Hugging Face config.json nests it; crop_pct 0.95 at 160 → floor(168.42) = 168; squash resizes both sides.
  const hf = timmPipeline({ architecture: 'x', pretrained_cfg: { input_size: [3, 160, 160], crop_pct: 0.95, interpolation: 'bilinear', crop_mode: 'squash' } }, 'config.json');
  assert.equal(describePipeline(hf.steps), 'Resize((168, 168)), CenterCrop(160), ToTensor(), Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))');
  assert.deepEqual(timmPipeline({}, 'empty.json').steps[0], { op: 'Resize', size: 256, interpolation: 'bicubic' });
  assert.throws(() => timmPipeline({ input_size: [3, 224, 224], crop_mode: 'border' }, 'c.json'), /crop_mode "border" is not supported/);
  assert.throws(() => timmPipeline([1, 2], 'c.json'), /is not a timm pretrained_cfg/);
});

test('malformed stored steps are refused in one sentence, not crashed on', () => {
  for (const bad of [[{ op: 'Resize', size: 'big', interpolation: 'bilinear' }], [{ op: 'Pad', padding: [1], fill: 0, paddingMode: 'constant' }], [{ op: 'Blur' }], [null], 'ToTensor()']) {
    assert.throws(() => checkPipeline(bad as never, 1), (e: unknown) => e instanceof UserError && /is not a valid|not a list/.test(e.message), JSON.stringify(bad));
  }
});

test('borderValue: the value shifted-in pixels get is the pipeline\'s own padding carried through the later steps', () => {
  const close = (a: number[], b: number[]) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-12, `${a} vs ${b}`));
  const of = (t: string, channels: 1 | 3 = 1) => borderValue(fromPipeline(parseTransform(t), channels));
  // Normalize-then-Pad: the padded border is 0 in the model's input.
  close(of('ToTensor(), Normalize(0.286, 0.353), Pad(2)'), [0]);
  // Pad the image (black) before normalising, or no Pad: a black pixel normalised.
  close(of('Pad(2), ToTensor(), Normalize(0.286, 0.353)'), [-0.286 / 0.353]);
  close(of('ToTensor(), Normalize(0.5, 0.25)'), [-2]);
  // A gray image fill, and a tensor fill before Normalize, per channel.
  close(of('Pad(2, fill=(255, 0, 51)), ToTensor(), Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))', 3), [1, -1, -0.6]);
  close(of('ToTensor(), Pad(1, fill=0.5), Normalize(0.25, 0.5)'), [0.5]);
  // A reflect pad copies the image: the black-pixel rule.
  close(of('ToTensor(), Normalize(0.5, 0.5), Pad(2, padding_mode="reflect")'), [-1]);
});
