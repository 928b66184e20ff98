/**
 * Browser mode's download of exported files (DOWNLOAD_ROUTE) through the real host: every file an
 * export job wrote (an ONNX file, a TF.js folder's files) comes back byte-identical with the
 * token header; a file beside them it did not write, a path climbing out with `..`, a written
 * file replaced by a link, a request without the token or with the token in the URL are refused
 * with one sentence. The app's TFLite int8 input/output type reaches the writer, and its default
 * is the CLI's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startAppServer } from './server.js';
import { createService } from './service.js';
import { DOWNLOAD_ROUTE, EXPORT_DEFAULTS, TOKEN_HEADER, type DataChoice, type ExportResult, type JobEvent } from './contract.js';
import { exportCommand } from '../cli/commands/export.js';
import { readTflite } from '../../export/tflite/read.js';
import { TensorType } from '../../export/tflite/schema.js';

const MODEL = 'zoo:se-mobilenet-demo';

async function until(events: JobEvent[], jobId: string): Promise<JobEvent> {
  for (let i = 0; i < 2400; i++) {
    const e = events.find((x) => x.jobId === jobId && (x.type === 'done' || x.type === 'error' || x.type === 'cancelled'));
    if (e) return e;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

test('the download route serves exactly the files this session exported, and nothing else', { timeout: 180_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-dl-root-'));
  const out = mkdtempSync(join(tmpdir(), 'seprune-dl-out-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const s = await startAppServer({ root, port: 0, configDir: join(root, 'config'), warmJobProcess: false });
  const events: JobEvent[] = [];
  // The service's events over the host's stream; jobs start once it is connected.
  const ac = new AbortController();
  const stream = await fetch(`http://127.0.0.1:${s.port}/api/events`, { headers: { [TOKEN_HEADER]: s.token }, signal: ac.signal });
  void (async () => {
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)) as JobEvent);
      }
    }
  })().catch(() => {});
  const base = `http://127.0.0.1:${s.port}`;
  const call = async <T>(m: string, body: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/${m}`, { method: 'POST', headers: { [TOKEN_HEADER]: s.token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const j = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(j.error ?? String(res.status));
    return j;
  };
  const download = (path: string, headers: Record<string, string> = { [TOKEN_HEADER]: s.token }, url = `${base}${DOWNLOAD_ROUTE}`) =>
    fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
  const refused = async (res: Response, status: number, words: RegExp) => {
    assert.equal(res.status, status);
    const j = (await res.json()) as { error: string };
    assert.match(j.error, words);
    assert.doesNotMatch(j.error, /[.!?]\s+\S/, `one sentence: ${j.error}`);
  };
  try {
    const m = await call<{ id: string; preprocessing: DataChoice['preprocess'] }>('openModel', { model: MODEL });
    const data: DataChoice = { data: 'fashion-mnist', split: 'test', limit: 16, seed: 0, preprocess: m.preprocessing };
    const job = await call<{ jobId: string }>('exportModel', { modelId: m.id, outDir: out, targets: [{ format: 'onnx', quant: 'fp32' }, { format: 'tfjs', quant: 'fp32' }], data, force: false });
    const done = await until(events, job.jobId);
    assert.equal(done.type, 'done', JSON.stringify(done));
    const files = (done as { result: ExportResult }).result.files;
    const written = files.flatMap((f) => f.written ?? []);
    assert.equal(files[0].written?.length, 1);
    assert.ok((files[1].written?.length ?? 0) >= 2, 'a TF.js folder: model.json and its weight shards');
    assert.ok(written.some((w) => basename(w.path) === 'model.json'));

    for (const w of written) {
      const res = await download(w.path);
      assert.equal(res.status, 200, w.path);
      assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="${basename(w.path).replace(/\./g, '\\.')}"`));
      const got = Buffer.from(await res.arrayBuffer());
      assert.equal(got.length, w.bytes);
      assert.ok(got.equals(readFileSync(w.path)), `${w.path} byte-identical`);
    }

    // Not written by an export: a file beside them, a climb out of the folder, nothing at all.
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await refused(await download(join(out, 'notes.txt')), 403, /Only files that an export of this session wrote/);
    await refused(await download(`${files[1].file}/../../../../../../etc/passwd`), 403, /Only files that an export/);
    await refused(await download('/etc/passwd'), 403, /Only files that an export/);
    await refused(await download(''), 400, /Say which exported file/);
    // A `..` that lands on a written file is that file.
    assert.equal((await download(`${files[1].file}/../${basename(files[0].file)}`)).status, 200);
    // The token: required, and only in its header.
    await refused(await download(written[0].path, {}), 403, /needs its access token/);
    await refused(await download(written[0].path, { [TOKEN_HEADER]: `${s.token}x` }), 403, /needs its access token/);
    await refused(await download(written[0].path, {}, `${base}${DOWNLOAD_ROUTE}?token=${s.token}`), 403, /not in the URL/);
    // A written file replaced by a link to another file, or removed, is no longer served.
    const onnx = files[0].file;
    unlinkSync(onnx);
    symlinkSync('/etc/hostname', onnx);
    await refused(await download(onnx), 404, /no longer where the export wrote it/);
    unlinkSync(onnx);
    await refused(await download(onnx), 404, /no longer where the export wrote it/);
  } finally {
    ac.abort();
    await s.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test('the TFLite int8 input/output type reaches the writer; the app starts from the CLI\'s default', { timeout: 180_000 }, async () => {
  assert.equal(exportCommand.options.io?.default, EXPORT_DEFAULTS.tfliteIo);
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), version: 'test', recent: null });
  const out = mkdtempSync(join(tmpdir(), 'seprune-io-'));
  try {
    const m = await service.openModel({ model: MODEL });
    const data: DataChoice = { data: 'fashion-mnist', split: 'test', limit: 16, seed: 0, preprocess: m.preprocessing };
    const req = { modelId: m.id, outDir: out, targets: [{ format: 'tflite', quant: 'int8' }], data, force: true };
    await assert.rejects(service.exportModel({ ...req, tfliteIo: 'uint8' as 'int8' }), /must be float or int8/);
    const inputType = async (tfliteIo: 'float' | 'int8' | undefined): Promise<number> => {
      const done = await until(events, (await service.exportModel({ ...req, ...(tfliteIo ? { tfliteIo } : {}) })).jobId);
      assert.equal(done.type, 'done', JSON.stringify(done));
      const f = (done as { result: ExportResult }).result.files[0];
      const model = readTflite(readFileSync(f.file));
      return model.tensors[model.inputs[0]].type;
    };
    assert.equal(await inputType('int8'), TensorType.INT8);
    assert.equal(await inputType(undefined), TensorType.FLOAT32);
  } finally {
    service.close();
    rmSync(out, { recursive: true, force: true });
  }
});
