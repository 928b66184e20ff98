/**
 * Tests of the browser host: the token header on every /api route (403 without, with only a
 * cookie or with ?token=; 200 with), no cookie ever set, COOP/CORP/Permissions-Policy, symlinks refused,
 * the zoo list it serves, Host checking, path confinement, the 127.0.0.1-only binding, and the
 * one-line URL its command prints; and, where Debian's chromium is installed, that the real
 * renderer build shows the whole zoo in a browser under the CSP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build } from 'vite';
import { zooList } from './zoo-list.js';
import { startStaticServer } from './static-server.js';
import { TOKEN_HEADER } from './contract.js';

const INDEX = '<!doctype html><title>t</title>';

function makeRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'seprune-static-'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  return dir;
}

/** A raw GET (no path normalisation, any Host header). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host, port });
    s.setTimeout(1000, () => {
      s.destroy();
      ok(false);
    });
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

test('every /api route needs the token in its header: 403 without, with a cookie or in the URL; 200 with', async () => {
  const root = makeRoot();
  const server = await startStaticServer({ root, port: 0 });
  try {
    assert.ok(server.port > 0);
    assert.ok(server.token.length >= 32);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/?token=${server.token}`);
    const base = `http://127.0.0.1:${server.port}`;
    const auth = { [TOKEN_HEADER]: server.token };

    assert.equal((await fetch(`${base}/api/zoo`)).status, 403);
    assert.equal((await fetch(`${base}/api/version`)).status, 403);
    assert.equal((await fetch(`${base}/api/zoo`, { headers: { [TOKEN_HEADER]: 'wrong' } })).status, 403);
    // The old credentials are refused: a cookie holding the token, and the token in an api URL.
    const cookieOnly = await fetch(`${base}/api/zoo`, { headers: { cookie: `seprune_token=${server.token}` } });
    assert.equal(cookieOnly.status, 403);
    assert.equal(((await cookieOnly.json()) as { error: string }).error, 'This server needs its access token: open the URL it printed.');
    const inUrl = await fetch(`${base}/api/zoo?token=${server.token}`);
    assert.equal(inUrl.status, 403);
    assert.equal(((await inUrl.json()) as { error: string }).error, `This server takes its access token in the ${TOKEN_HEADER} header, not in the URL of an api call.`);
    assert.equal((await fetch(`${base}/api/zoo?token=${server.token}`, { headers: auth })).status, 403);

    const ok = await fetch(`${base}/api/zoo`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('set-cookie'), null);
    const list = (await ok.json()) as { name: string; description: string }[];
    assert.deepEqual(list.map((m) => m.name), zooList().map((z) => z.name));
    assert.ok(list.every((m) => typeof m.description === 'string' && m.description.length > 0));

    const version = await fetch(`${base}/api/version`, { headers: auth });
    assert.equal(version.status, 200);
    assert.match(((await version.json()) as { version: string }).version, /^\d+\.\d+\.\d+/);
    assert.equal((await fetch(`${base}/api/nothing`, { headers: auth })).status, 404);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('static files: the page loads with its token in the URL and no cookie is set; COOP, CORP, Permissions-Policy; no escape from the root; Host checked', async () => {
  const root = makeRoot();
  const server = await startStaticServer({ root, port: 0 });
  try {
    const host = { host: `127.0.0.1:${server.port}` };
    const index = await rawGet(server.port, '/', host);
    assert.equal(index.status, 200);
    assert.equal(index.body, INDEX);
    assert.match(String(index.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(index.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(index.headers['cross-origin-resource-policy'], 'same-origin');
    const pp = String(index.headers['permissions-policy']);
    for (const f of ['camera=()', 'microphone=()', 'geolocation=()', 'usb=()', 'payment=()']) assert.ok(pp.includes(f), `${f} in ${pp}`);

    // The printed URL serves the page itself (the page takes the token); nothing is stored in a cookie.
    const entry = await rawGet(server.port, `/?token=${server.token}`, host);
    assert.equal(entry.status, 200);
    assert.equal(entry.body, INDEX);
    assert.equal(entry.headers['set-cookie'], undefined);
    assert.equal(entry.headers['referrer-policy'], 'no-referrer');

    assert.equal((await rawGet(server.port, '/%2e%2e/%2e%2e/etc/passwd', host)).status, 404);
    assert.equal((await rawGet(server.port, '/../../etc/passwd', host)).status, 404);
    assert.equal((await rawGet(server.port, '/missing.js', host)).status, 404);
    assert.equal((await rawGet(server.port, '/', { host: `evil.example:${server.port}` })).status, 421);
    assert.equal((await rawGet(server.port, '/api/zoo', { host: 'evil.example', [TOKEN_HEADER]: server.token })).status, 421);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('symbolic links inside the root are refused, to files and to folders, even when they point inside it', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'seprune-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  mkdirSync(join(outside, 'dir'));
  writeFileSync(join(outside, 'dir', 'a.js'), 'x');
  const root = makeRoot();
  writeFileSync(join(root, 'real.js'), 'real');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'secret.txt'));
  symlinkSync(join(outside, 'dir'), join(root, 'linked'));
  symlinkSync(join(root, 'real.js'), join(root, 'alias.js'));
  // The root itself may be reached through a link.
  const linkedRoot = join(outside, 'root-link');
  symlinkSync(root, linkedRoot);
  const server = await startStaticServer({ root: linkedRoot, port: 0 });
  try {
    const host = { host: `127.0.0.1:${server.port}` };
    const real = await rawGet(server.port, '/real.js', host);
    assert.equal(real.status, 200);
    assert.equal(real.body, 'real');
    for (const p of ['/secret.txt', '/linked/a.js', '/alias.js']) {
      const r = await rawGet(server.port, p, host);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /secret|real/);
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('binds 127.0.0.1 only', async () => {
  const root = makeRoot();
  const server = await startStaticServer({ root, port: 0 });
  try {
    assert.equal(server.address.address, '127.0.0.1');
    assert.equal(server.address.family, 'IPv4');
    assert.equal(await canConnect('127.0.0.1', server.port), true);
    // Every other address of this machine must refuse the port.
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const addr of others) {
      assert.equal(await canConnect(addr, server.port), false, `reachable on ${addr}`);
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the command prints its URL with the token on one line and serves it', async () => {
  const root = makeRoot();
  const script = fileURLToPath(new URL('./static-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0', '--root', root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((ok, fail) => {
      createInterface({ input: child.stdout! }).once('line', ok);
      child.once('exit', (code) => fail(new Error(`exited with ${code}`)));
    });
    const m = /(http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+))$/.exec(line);
    assert.ok(m, `unexpected line: ${line}`);
    const res = await fetch(`http://127.0.0.1:${m[2]}/api/zoo`, { headers: { [TOKEN_HEADER]: m[3] } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as unknown[]).length, zooList().length);
  } finally {
    child.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  }
});

test('the command refuses a missing folder with one sentence', async () => {
  const script = fileURLToPath(new URL('./static-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--root', join(tmpdir(), 'seprune-no-such-dir')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((ok) => child.once('exit', ok));
  assert.equal(code, 2);
  assert.equal(err.trim().split('\n').length, 1);
  assert.match(err, /does not exist/);
});

const CHROMIUM = '/usr/bin/chromium';

test('browser mode: the built renderer lists the whole zoo in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)` }, async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'seprune-renderer-'));
  const rendererRoot = fileURLToPath(new URL('../../renderer', import.meta.url));
  await build({
    configFile: false,
    logLevel: 'silent',
    root: rendererRoot,
    base: './',
    plugins: [svelte({ configFile: false })],
    build: { outDir, emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } },
  });
  const server = await startStaticServer({ root: outDir, port: 0 });
  try {
    const { stdout } = await promisify(execFile)(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--virtual-time-budget=5000', '--dump-dom', server.url],
      { timeout: 30_000, maxBuffer: 8 << 20 },
    );
    const names = [...stdout.matchAll(/<code[^>]*>zoo:([\w-]+)<\/code>/g)].map((m) => m[1]);
    assert.deepEqual(names, zooList().map((z) => z.name));
    assert.match(stdout, /<h1[^>]*>SE Prune Studio/);
    assert.doesNotMatch(stdout, /Could not load the model zoo/);
  } finally {
    await server.close();
    rmSync(outDir, { recursive: true, force: true });
  }
});
