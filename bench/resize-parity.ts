/**
 * How far sharp's resize is from PIL's (what torchvision's Resize runs on PIL images), and how far
 * this project's port (app/data/pil-resample.ts) is: on a photo-like RGB JPEG, in 8-bit levels.
 * `node --import tsx bench/resize-parity.ts` (needs Debian's /usr/bin/python3 with torchvision).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../app/data/decode.js';
import { pilResize } from '../app/data/pil-resample.js';
import type { Interpolation } from '../app/model/transform.js';

const dir = mkdtempSync(join(tmpdir(), 'resize-parity-'));
const W = 640;
const H = 480;
const px = new Uint8Array(W * H * 3);
let s = 7;
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    for (let k = 0; k < 3; k++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const v = 128 + 80 * Math.sin(x / (9 + 4 * k)) * Math.cos(y / 13) + (x > 300 + 40 * Math.sin(y / 30) ? 50 : -50) + ((s >>> 24) % 30) - 15;
      px[(y * W + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
}
const jpg = join(dir, 'photo.jpg');
await sharp(Buffer.from(px), { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toFile(jpg);
const img = await decodeImage(jpg);
const targets: [number, number][] = [[224, 298], [32, 42], [700, 933]];
const modes: { mode: Interpolation; kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3' }[] = [
  { mode: 'nearest', kernel: 'nearest' }, { mode: 'bilinear', kernel: 'linear' }, { mode: 'bicubic', kernel: 'cubic' }, { mode: 'lanczos', kernel: 'lanczos3' },
];
const code = `
import sys, numpy as np
from PIL import Image
from torchvision.transforms import Resize, InterpolationMode
im = Image.open(sys.argv[1]).convert('RGB')
for arg in sys.argv[3:]:
    h, w, m = arg.split(':')
    out = Resize((int(h), int(w)), interpolation=InterpolationMode[m.upper()])(im)
    np.asarray(out).tofile(sys.argv[2] + arg.replace(':', '_'))
`;
const args = targets.flatMap(([h, w]) => modes.map((m) => `${h}:${w}:${m.mode}`));
const r = spawnSync('/usr/bin/python3', ['-c', code, jpg, join(dir, 'ref-'), ...args], { encoding: 'utf8' });
if (r.status !== 0) throw new Error(r.stderr);
const stats = (a: Uint8Array, b: Uint8Array) => {
  let max = 0;
  let sum = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
    if (d) diff++;
  }
  return `max ${max}, mean ${(sum / a.length).toFixed(3)}, ${((100 * diff) / a.length).toFixed(1)}% differ`;
};
console.log(`${W}×${H} RGB JPEG → size, |Δ| in 8-bit levels against torchvision 0.14 Resize (PIL ${spawnSync('/usr/bin/python3', ['-c', 'import PIL;print(PIL.__version__)'], { encoding: 'utf8' }).stdout.trim()})`);
for (const [h, w] of targets) {
  for (const m of modes) {
    const ref = new Uint8Array(readFileSync(join(dir, `ref-${h}_${w}_${m.mode}`)));
    const ours = pilResize(img, h, w, m.mode).data;
    const sh = new Uint8Array(await sharp(jpg).resize(w, h, { kernel: m.kernel, fit: 'fill', fastShrinkOnLoad: false }).raw().toBuffer());
    console.log(`${h}×${w} ${m.mode.padEnd(8)} this project: ${stats(ours, ref)} | sharp ${m.kernel}: ${stats(sh, ref)}`);
  }
}
rmSync(dir, { recursive: true, force: true });
