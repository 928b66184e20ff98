/**
 * Outputs are checked before any work: an output file in a folder that cannot be written, a
 * checkpoint or report folder that cannot be created, and `--resume` with no checkpoint are each
 * one sentence at once — before the model runs on a single image (no "data:" line is logged).
 * /proc/self takes no new files for any user, root included, so the check does not depend on
 * permission bits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from './commands/index.js';
import { UserError } from '../model/errors.js';
import type { CommandContext } from './command.js';

const dir = mkdtempSync(join(tmpdir(), 'seprune-outcheck-'));

async function refusal(cmd: string, positionals: string[], values: CommandContext['values']): Promise<string> {
  const spec = COMMANDS.find((c) => c.name === cmd)!;
  const logged: string[] = [];
  const progress: CommandContext['progress'] = { update() {}, done() {} };
  const t0 = Date.now();
  try {
    await spec.run({ values, positionals, json: true, progress, log: (l) => logged.push(l) });
  } catch (e) {
    assert.ok(e instanceof UserError, (e as Error).stack);
    assert.ok(!e.message.includes('\n'));
    assert.deepEqual(logged.filter((l) => l.startsWith('data:')), [], 'refused before reading data');
    assert.ok(Date.now() - t0 < 10_000, `refused at once (${Date.now() - t0} ms)`);
    return e.message;
  }
  assert.fail(`${cmd} ran`);
}

const data = { data: 'fashion-mnist', limit: '20' };

test('unwritable outputs and checkpoint folders are refused before any work', async () => {
  assert.match(
    await refusal('finetune', ['zoo:se-resnet-demo'], { ...data, epochs: '1', 'checkpoint-dir': '/proc/self/ck', out: join(dir, 'ft.seprune') }),
    /^Checkpoint folder \/proc\/self\/ck cannot be created \(/,
  );
  writeFileSync(join(dir, 'afile'), 'x');
  assert.match(
    await refusal('finetune', ['zoo:se-resnet-demo'], { ...data, epochs: '1', 'checkpoint-dir': join(dir, 'afile'), out: join(dir, 'ft.seprune') }),
    /afile is a file, not a folder\.$/,
  );
  assert.match(await refusal('prune', ['zoo:se-resnet-demo'], { ...data, ratio: '0.3', out: '/proc/self/p.seprune' }), /^Output folder \/proc\/self cannot be written/);
  assert.match(await refusal('stats', ['zoo:se-resnet-demo'], { ...data, out: '/proc/self/s.json' }), /^Output folder \/proc\/self cannot be written/);
  assert.match(await refusal('demo', [], { out: '/proc/self/report' }), /^Report folder \/proc\/self\/report cannot be created/);
});

test('--resume says what it found when the checkpoint folder holds no checkpoint, and refuses', async () => {
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const args = (ck: string) => ({ ...data, epochs: '1', 'checkpoint-dir': ck, resume: true, out: join(dir, 'ft.seprune') });
  assert.match(await refusal('finetune', ['zoo:se-resnet-demo'], args(empty)), /^--resume found no checkpoint: the folder .*empty is empty; run without --resume to start from the model\.$/);
  writeFileSync(join(empty, 'notes.txt'), 'x');
  assert.match(await refusal('finetune', ['zoo:se-resnet-demo'], args(empty)), /no checkpoint\.json among its 1 entries/);
  assert.match(await refusal('finetune', ['zoo:se-resnet-demo'], args(join(dir, 'nope'))), /the folder .*nope does not exist/);
});
