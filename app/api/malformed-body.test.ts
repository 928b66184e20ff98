/**
 * Every POST method of the api answers a malformed request with HTTP 400 and one sentence, never
 * the 500 of a bug: an empty body, text that is not JSON, JSON that is not an object, an object
 * missing its fields, and fields of the wrong type. Methods that take no request still answer an
 * empty body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppServer } from './server.js';
import { API_METHODS, TOKEN_HEADER } from './contract.js';
import { REQUEST_SHAPES } from './request-shape.js';

test('malformed or empty JSON bodies are 400 with a sentence on every method', { timeout: 60_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'seprune-bodies-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const s = await startAppServer({ root, port: 0, configDir: join(root, 'config'), warmJobProcess: false });
  const post = async (m: string, body: string) => {
    const res = await fetch(`http://127.0.0.1:${s.port}/api/${m}`, { method: 'POST', headers: { [TOKEN_HEADER]: s.token, 'content-type': 'application/json' }, body });
    return { status: res.status, error: ((await res.json()) as { error?: string } | null)?.error };
  };
  try {
    const takesRequest = API_METHODS.filter((m) => REQUEST_SHAPES[m] !== null);
    assert.equal(takesRequest.length, 14);
    let answered = 0;
    for (const m of takesRequest) {
      const cases: [string, RegExp][] = [
        ['', new RegExp(`^The ${m} request must be a JSON object\\.$`)],
        ['{"model":', /^The request body is not valid JSON\.$/],
        ['null', new RegExp(`^The ${m} request must be a JSON object\\.$`)],
        ['[1,2]', new RegExp(`^The ${m} request must be a JSON object\\.$`)],
        ['"x"', new RegExp(`^The ${m} request must be a JSON object\\.$`)],
        ['{}', new RegExp(`^The ${m} request needs \\w+ as (a string|a list|an object)\\.$`)],
        // Every field the wrong type: the first one is named.
        [JSON.stringify(Object.fromEntries(Object.keys(REQUEST_SHAPES[m]!).map((k) => [k, 12345]))), new RegExp(`^The ${m} request needs \\w+ as `)],
      ];
      for (const [body, want] of cases) {
        const r = await post(m, body);
        assert.equal(r.status, 400, `${m} ${JSON.stringify(body)}: ${r.status} ${r.error}`);
        assert.match(r.error ?? '', want, `${m} ${JSON.stringify(body)}`);
        answered++;
      }
    }
    assert.equal(answered, 14 * 7);
    // Nested shapes: a prune request whose fold is a string, a stats request whose preprocess has a string std.
    const prune = await post('prune', JSON.stringify({ modelId: 'm1', criterion: 'se-mean', target: {}, residual: 'freeze', roundTo: 1, minChannels: 1, fold: 'auto' }));
    assert.deepEqual(prune, { status: 400, error: 'The prune request needs fold as an object.' });
    const stats = await post('runStats', JSON.stringify({ modelId: 'm1', data: 'fashion-mnist', split: 'test', limit: 2, seed: 0, preprocess: { channels: 1, mean: [0], std: '1' } }));
    assert.deepEqual(stats, { status: 400, error: 'The runStats request needs preprocess.std as a list of numbers.' });
    // Methods without a request take an empty body.
    for (const m of API_METHODS.filter((x) => REQUEST_SHAPES[x] === null && x !== 'trainBackend')) {
      assert.equal((await post(m, '')).status, 200, m);
    }
  } finally {
    await s.close();
    rmSync(root, { recursive: true, force: true });
  }
});
