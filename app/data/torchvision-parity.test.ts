/**
 * Our pipeline against Debian's torchvision 0.14 (/usr/bin/python3) on the same images: every step
 * before and after ToTensor, every interpolation, padding mode and a few full orders. The images are
 * real JPEG/PNG files made here with sharp; both sides start from the bytes our decoder produced
 * (PIL builds its image from them), and a second set of cases lets PIL decode the files itself.
 * Tolerances from the issue: 1/255 for pipelines with a Resize, 1e-6 for the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from './decode.js';
import { parseTransform } from './transform-parse.js';
import { runPipeline } from './transform.js';
import type { RawImage } from './raw-image.js';

const PY = '/usr/bin/python3';
const hasTorchvision = spawnSync(PY, ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;
const skip = hasTorchvision ? false : `${PY} has no torchvision (Debian python3-torchvision); CI installs it`;

/** A photo-like test image: smooth gradients, an edge and noise (so every filter tap matters). */
function synthetic(h: number, w: number, c: number, seed: number): Uint8Array {
  const d = new Uint8Array(h * w * c);
  let s = seed;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const edge = x > w / 2 + 5 * Math.sin(y / 4) ? 90 : 0;
        const v = 40 + (150 * x) / w + (60 * y) / h * (k + 1) / c + edge * (k % 2 ? -1 : 1) + ((s >>> 24) % 40) - 20;
        d[(y * w + x) * c + k] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return d;
}

const INTERP = ['NEAREST', 'BILINEAR', 'BICUBIC', 'BOX', 'HAMMING', 'LANCZOS'];
const TENSOR_INTERP = ['NEAREST', 'BILINEAR', 'BICUBIC'];

function casesFor(rgb: boolean): string[] {
  const out: string[] = [];
  for (const m of INTERP) {
    out.push(`Resize(24, interpolation=InterpolationMode.${m}), ToTensor()`);
    out.push(`Resize((70, 50), interpolation=InterpolationMode.${m}), ToTensor()`);
  }
  for (const m of TENSOR_INTERP) {
    for (const aa of m === 'NEAREST' ? ['False'] : ['True', 'False']) {
      out.push(`ToTensor(), Resize(23, interpolation=InterpolationMode.${m}, antialias=${aa})`);
      out.push(`ToTensor(), Resize((64, 71), interpolation=InterpolationMode.${m}, antialias=${aa})`);
    }
  }
  out.push(
    'Resize(20, max_size=25), ToTensor()',
    'CenterCrop(20), ToTensor()', 'CenterCrop((70, 31)), ToTensor()', 'ToTensor(), CenterCrop(19)', 'ToTensor(), CenterCrop((66, 20))',
    'Pad(3), ToTensor()', 'Pad((1, 2), fill=7), ToTensor()',
    "Pad((1, 2, 3, 4), padding_mode='edge'), ToTensor()", "Pad(5, padding_mode='reflect'), ToTensor()", "Pad((4, 2), padding_mode='symmetric'), ToTensor()",
    'ToTensor(), Pad(2)', 'ToTensor(), Pad(2, fill=0.5)', "ToTensor(), Pad((1, 2, 3, 4), padding_mode='edge')",
    "ToTensor(), Pad(5, padding_mode='reflect')", "ToTensor(), Pad((4, 2), padding_mode='symmetric')",
    'ToTensor(), Normalize(0.286, 0.353), Pad(2)', 'Pad(2), ToTensor(), Normalize(0.286, 0.353)',
    'Resize(36), CenterCrop(32), ToTensor(), Normalize(0.286, 0.353), Pad(2)',
    "Grayscale(), Resize(20, interpolation=InterpolationMode.BICUBIC), ToTensor(), Normalize(0.5, 0.5), Pad(1, padding_mode='reflect'), CenterCrop(18)",
    'ToTensor(), Normalize(0.5, 0.25), Resize(30, interpolation=InterpolationMode.BICUBIC, antialias=True), CenterCrop(28)',
  );
  if (rgb) {
    out.push(
      'Grayscale(), ToTensor()', 'Grayscale(num_output_channels=3), ToTensor()', 'ToTensor(), Grayscale()', 'ToTensor(), Grayscale(num_output_channels=3)',
      'Pad(2, fill=(10, 20, 30)), ToTensor()', 'ToTensor(), Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))',
      'Resize(40, interpolation=InterpolationMode.BICUBIC), CenterCrop(35), ToTensor(), Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))',
    );
  }
  return out;
}

interface Case { name: string; img: RawImage; transform: string; file?: string }

function reference(dir: string, cases: Case[]): Float32Array[] {
  const input = cases.map((c, i) => {
    const raw = join(dir, `in${i}.raw`);
    writeFileSync(raw, c.img.data);
    return { raw, h: c.img.h, w: c.img.w, c: c.img.c, transform: c.transform, out: join(dir, `out${i}.f32`), ...(c.file ? { file: c.file } : {}) };
  });
  const r = spawnSync(PY, [new URL('./fixtures/torchvision-ref.py', import.meta.url).pathname], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return input.map((c) => {
    const b = readFileSync(c.out);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  });
}

test('every step and order equals torchvision 0.14 on real JPEG/PNG images (1/255 with a Resize, else 1e-6)', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-tv-'));
  try {
    const files: { name: string; path: string }[] = [];
    const jpg = join(dir, 'photo.jpg');
    await sharp(Buffer.from(synthetic(47, 61, 3, 1)), { raw: { width: 61, height: 47, channels: 3 } }).jpeg({ quality: 85 }).toFile(jpg);
    files.push({ name: 'RGB JPEG 47×61', path: jpg });
    const png = join(dir, 'gray.png');
    await sharp(Buffer.from(synthetic(35, 29, 1, 2)), { raw: { width: 29, height: 35, channels: 1 } }).png().toFile(png);
    files.push({ name: 'gray PNG 35×29', path: png });
    const cases: Case[] = [];
    for (const f of files) {
      const img = await decodeImage(f.path);
      for (const t of casesFor(img.c === 3)) cases.push({ name: f.name, img, transform: t });
      // PIL decodes the file itself: the decoders agree too (libjpeg-turbo in both), so a user's folder gives the same tensors.
      cases.push({ name: `${f.name} decoded by PIL`, img, transform: 'Resize(36), CenterCrop(32), ToTensor(), Normalize(0.5, 0.25)', file: f.path });
    }
    const refs = reference(dir, cases);
    let worstResize = 0;
    let worstOther = 0;
    cases.forEach((c, i) => {
      const steps = parseTransform(c.transform);
      const ref = refs[i];
      const gray = steps.some((s) => s.op === 'Grayscale' && s.numOutputChannels === 1);
      const ours = runPipeline(c.img, steps, c.img.c === 1 || gray ? 1 : 3);
      assert.equal(ours.length, ref.length, `${c.name}: ${c.transform}: ${ours.length} values vs torchvision's ${ref.length}`);
      let max = 0;
      for (let k = 0; k < ref.length; k++) max = Math.max(max, Math.abs(ours[k] - ref[k]));
      const resize = steps.some((s) => s.op === 'Resize');
      if (resize) worstResize = Math.max(worstResize, max);
      else worstOther = Math.max(worstOther, max);
      assert.ok(max <= (resize ? 1 / 255 : 1e-6), `${c.name}: ${c.transform}: max |Δ| ${max}`);
    });
    assert.ok(cases.length >= 90, `${cases.length} cases`);
    console.log(`# ${cases.length} cases: worst |Δ| ${worstResize.toExponential(2)} with a Resize, ${worstOther.toExponential(2)} without`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
