/**
 * The TFLite verifier's child process: loads a .tflite file into the real TFLite interpreter
 * (`@tensorflow/tfjs-tflite`, its single-threaded wasm build from this folder's node_modules, no
 * network), runs an NHWC float32 batch through it one image at a time, and writes the outputs.
 *
 * It lives in its own workspace package because tfjs-tflite pins tfjs-core 4.9 while the app
 * uses 4.22; running it in a child process keeps the two versions out of one process.
 *
 * Usage: run.ts <model.tflite> '<io JSON>'. The io JSON gives the quantization of an integer
 * input and output (`{"input":{"scale","zeroPoint"},"output":{...}}`, read from the file by the
 * parent, since tfjs-tflite does not expose it): an integer input is quantized with it, an integer
 * output dequantized. Once loaded the child prints `{ ok: true, ready: true, inputDtype, outputDtype }`
 * (or `{ ok: false, error }` and exits), then serves requests, one JSON line each on stdin:
 * `{ input, n, output }` (file paths; the input file holds n·H·W·C little-endian float32 values),
 * answering `{ ok: true, outputSize, latencyMs }` (median per image) or `{ ok: false, error }`;
 * `{ latency, runs }` (a file with one image) answers `{ ok: true, latencyMs, runs }`, the median of
 * `runs` timed predictions after two warm-ups.
 */
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm') + '/';

type Quant = { scale: number; zeroPoint: number };

/** The globals the package's loader expects in a web worker: `self`, `importScripts`, `fetch` of local files. */
function installShim(): void {
  const g = globalThis as Record<string, unknown>;
  g.self = globalThis;
  g.location = { origin: '', href: pathToFileURL(wasmDir).href, protocol: 'file:' };
  g.importScripts = (...urls: string[]) => {
    for (const u of urls) runInThisContext(readFileSync(u.replace(/^file:\/\//, ''), 'utf8'), { filename: u });
  };
  // Emscripten in Node reads the wasm with `require('fs')`; scripts evaluated by importScripts see globals only.
  g.require = require;
  g.__dirname = wasmDir;
  const realFetch = globalThis.fetch;
  g.fetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const s = String(url);
    if (s.startsWith('/') || s.startsWith('file:')) {
      const bytes = readFileSync(s.replace(/^file:\/\//, ''));
      return new Response(bytes, { headers: { 'content-type': s.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' } });
    }
    if (/^https?:/.test(s)) throw new Error(`the TFLite verifier does not use the network (asked for ${s})`);
    return realFetch(url, init);
  };
}

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s+/g, ' ').trim();
}

const reply = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');

async function main(): Promise<void> {
  const [modelPath, ioArg] = process.argv.slice(2);
  const io = JSON.parse(ioArg ?? '{}') as { input?: Quant; output?: Quant };
  installShim();
  // The multi-threaded build needs real web workers; hide MessageChannel while the loader probes for threads.
  const g = globalThis as Record<string, unknown>;
  const channel = g.MessageChannel;
  g.MessageChannel = undefined;
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const tflite = await import('@tensorflow/tfjs-tflite');
  tflite.setWasmPath(wasmDir);
  const bytes = readFileSync(modelPath);
  let model: Awaited<ReturnType<typeof tflite.loadTFLiteModel>>;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    model = await tflite.loadTFLiteModel(ab, { numThreads: 1 });
  } finally {
    g.MessageChannel = channel;
  }
  const inInfo = model.inputs[0];
  const outInfo = model.outputs[0];
  const shape = inInfo.shape ?? [];
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const outPer = (outInfo.shape ?? []).slice(1).reduce((a, b) => a * b, 1);
  const inQ = io.input;
  const outQ = io.output;
  if (inInfo.dtype !== 'float32' && !inQ) throw new Error('the model has an integer input without quantization parameters');

  const read = (inputPath: string): Float32Array => {
    const raw = readFileSync(inputPath);
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  };
  /** One image through the interpreter: its logits (dequantized) and the milliseconds predict took. */
  const one = (img: Float32Array): { data: ArrayLike<number>; ms: number } => {
    let t: import('@tensorflow/tfjs-core').Tensor;
    if (inInfo.dtype === 'float32') t = tf.tensor(img, [1, ...shape.slice(1)], 'float32');
    else {
      const q = new Int32Array(per);
      for (let k = 0; k < per; k++) q[k] = Math.max(-128, Math.min(127, Math.round(img[k] / inQ!.scale) + inQ!.zeroPoint));
      t = tf.tensor(q, [1, ...shape.slice(1)], 'int32');
    }
    const t0 = performance.now();
    const y = model.predict(t) as import('@tensorflow/tfjs-core').Tensor;
    const data = y.dataSync();
    const ms = performance.now() - t0;
    t.dispose();
    y.dispose();
    return { data, ms };
  };
  const median = (times: number[]): number => (times.length ? times.sort((a, b) => a - b)[Math.floor(times.length / 2)] : 0);
  const run = (inputPath: string, n: number, outputPath: string): object => {
    const x = read(inputPath);
    if (x.length !== n * per) throw new Error(`the input holds ${x.length} values, expected ${n}×${per}`);
    const out = new Float32Array(n * outPer);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const { data, ms } = one(x.subarray(i * per, (i + 1) * per));
      times.push(ms);
      const deq = outQ && outInfo.dtype !== 'float32';
      for (let k = 0; k < outPer; k++) out[i * outPer + k] = deq ? (data[k] - outQ.zeroPoint) * outQ.scale : data[k];
    }
    writeFileSync(outputPath, new Uint8Array(out.buffer));
    return { ok: true, outputSize: outPer, latencyMs: median(times) };
  };
  /** Batch-1 latency: `runs` timed runs of one image after two warm-ups. */
  const latency = (inputPath: string, runs: number): object => {
    const img = read(inputPath).subarray(0, per);
    const times: number[] = [];
    for (let k = 0; k < runs + 2; k++) {
      const { ms } = one(img);
      if (k >= 2) times.push(ms);
    }
    return { ok: true, latencyMs: median(times), runs };
  };

  reply({ ok: true, ready: true, inputDtype: inInfo.dtype, outputDtype: outInfo.dtype });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    try {
      const req = JSON.parse(line) as { input: string; n: number; output: string } | { latency: string; runs: number };
      reply('latency' in req ? latency(req.latency, req.runs) : run(req.input, req.n, req.output));
    } catch (e) {
      reply({ ok: false, error: message(e) });
    }
  }
}

main().catch((e: unknown) => {
  reply({ ok: false, error: message(e) });
  process.exitCode = 2;
});
