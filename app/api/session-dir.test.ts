/**
 * A browser host killed with SIGKILL leaves its session folder in the temp folder; the next host
 * removes it at start (its owner.pid names a process that is gone), and leaves a live host's
 * folder and folders that are not session folders alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSessionDir, removeStaleSessions, SESSION_PREFIX } from './session-dir.js';

test('session folders of dead hosts are removed at start; live and foreign ones stay', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'seprune-sessions-'));
  try {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid names no process
    const mk = (name: string, pid?: number) => {
      mkdirSync(join(tmp, name));
      writeFileSync(join(tmp, name, 'model.onnx'), 'x');
      if (pid !== undefined) writeFileSync(join(tmp, name, 'owner.pid'), `${pid}\n`);
    };
    mk(`${SESSION_PREFIX}dead`, dead);
    mk(`${SESSION_PREFIX}live`, process.pid);
    mk(`${SESSION_PREFIX}old-nopid`);
    const dayAgo = (Date.now() - 25 * 3600 * 1000) / 1000;
    utimesSync(join(tmp, `${SESSION_PREFIX}old-nopid`), dayAgo, dayAgo);
    mk(`${SESSION_PREFIX}new-nopid`);
    mk('other-folder', dead);
    const own = createSessionDir(tmp);
    assert.equal(readFileSync(join(own, 'owner.pid'), 'utf8'), `${process.pid}\n`);
    const left = readdirSync(tmp).sort();
    assert.deepEqual(left.filter((n) => !own.endsWith(n)), ['other-folder', `${SESSION_PREFIX}live`, `${SESSION_PREFIX}new-nopid`]);
    assert.deepEqual(removeStaleSessions(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a host killed with SIGKILL: its folder is gone once the next host starts', { timeout: 60_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'seprune-sessions-'));
  const root = mkdtempSync(join(tmpdir(), 'seprune-sessions-root-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  const server = fileURLToPath(new URL('./server.ts', import.meta.url));
  const script = `const { startAppServer } = await import(${JSON.stringify(server)}); const s = await startAppServer({ root: ${JSON.stringify(root)}, port: 0, configDir: ${JSON.stringify(join(root, 'config'))}, warmJobProcess: false }); console.log(s.sessionDir);`;
  const start = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] });
    const dir = new Promise<string>((ok, fail) => {
      child.stdout!.setEncoding('utf8').once('data', (d: string) => ok(d.trim()));
      child.once('exit', (c) => fail(new Error(`host exited with ${c}`)));
    });
    return { child, dir };
  };
  try {
    const first = start();
    const firstDir = await first.dir;
    assert.ok(existsSync(firstDir));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    assert.ok(existsSync(firstDir), 'a killed host cannot clean up');
    const second = start();
    const secondDir = await second.dir;
    assert.ok(!existsSync(firstDir), 'the next host removed it');
    assert.ok(existsSync(secondDir));
    second.child.kill('SIGKILL');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});
