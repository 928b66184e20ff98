/**
 * The packaging config flips the fuses a shipped desktop app needs (Electron's security
 * checklist): a packaged binary that cannot be turned into a plain Node by an environment
 * variable or a command-line flag, and that loads only its own, integrity-checked asar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { matchesGlob } from 'node:path';
import { fileURLToPath } from 'node:url';

const config = JSON.parse(readFileSync(fileURLToPath(new URL('../electron-builder.json', import.meta.url)), 'utf8')) as {
  asar: boolean;
  electronFuses: Record<string, boolean>;
};

test('the packaged app has runAsNode and NODE_OPTIONS off and loads only its asar', () => {
  assert.equal(config.asar, true);
  assert.deepEqual(
    {
      runAsNode: config.electronFuses.runAsNode,
      enableNodeOptionsEnvironmentVariable: config.electronFuses.enableNodeOptionsEnvironmentVariable,
      enableNodeCliInspectArguments: config.electronFuses.enableNodeCliInspectArguments,
      onlyLoadAppFromAsar: config.electronFuses.onlyLoadAppFromAsar,
      enableEmbeddedAsarIntegrityValidation: config.electronFuses.enableEmbeddedAsarIntegrityValidation,
      grantFileProtocolExtraPrivileges: config.electronFuses.grantFileProtocolExtraPrivileges,
    },
    {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    },
  );
});

test('the packaged app carries the PyTorch runner, which job folders copy out of the asar', () => {
  // Python cannot read inside an asar; the torch engine copies run.py and seprune_torch/*.py from
  // RUNNER_DIR into each job folder with Node's fs (which Electron lets read the asar), so those
  // files must be matched by "files" and by none of its exclusions.
  const { files } = JSON.parse(readFileSync(fileURLToPath(new URL('../electron-builder.json', import.meta.url)), 'utf8')) as { files: string[] };
  const root = fileURLToPath(new URL('..', import.meta.url));
  const runner = fileURLToPath(new URL('../app/train/torch/py/', import.meta.url));
  const rel = (f: string) => f.slice(root.length);
  const wanted = [`${runner}run.py`, ...readdirSync(`${runner}seprune_torch`).filter((f) => f.endsWith('.py')).map((f) => `${runner}seprune_torch/${f}`)].map(rel);
  assert.ok(wanted.length >= 5, `runner files: ${wanted.join(', ')}`);
  const packaged = (f: string) => files.some((g) => !g.startsWith('!') && matchesGlob(f, g)) && !files.some((g) => g.startsWith('!') && matchesGlob(f, g.slice(1)));
  assert.deepEqual(wanted.filter((f) => !packaged(f)), []);
  assert.equal(packaged('app/train/torch/engine.test.ts'), false, 'the exclusions still apply');
});
