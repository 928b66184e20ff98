/**
 * The packaging config flips the fuses a shipped desktop app needs (Electron's security
 * checklist): a packaged binary that cannot be turned into a plain Node by an environment
 * variable or a command-line flag, and that loads only its own, integrity-checked asar.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
