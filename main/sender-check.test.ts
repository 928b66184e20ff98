/** Tests of IPC sender validation: only the app's own renderer page is trusted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrustedSenderUrl } from './sender-check.js';

const FILE = 'file:///opt/app/out/renderer/index.html';
const DEV = 'http://localhost:5173/';

test('a file renderer trusts only its own file', () => {
  assert.equal(isTrustedSenderUrl(FILE, FILE), true);
  assert.equal(isTrustedSenderUrl(`${FILE}#zoo`, FILE), true);
  assert.equal(isTrustedSenderUrl(`${FILE}?x=1`, FILE), true);
  assert.equal(isTrustedSenderUrl('file:///opt/app/out/renderer/other.html', FILE), false);
  assert.equal(isTrustedSenderUrl('file:///tmp/evil/index.html', FILE), false);
  assert.equal(isTrustedSenderUrl('https://example.com/opt/app/out/renderer/index.html', FILE), false);
  assert.equal(isTrustedSenderUrl('about:blank', FILE), false);
  assert.equal(isTrustedSenderUrl(undefined, FILE), false);
  assert.equal(isTrustedSenderUrl('', FILE), false);
  assert.equal(isTrustedSenderUrl('not a url', FILE), false);
});

test('a dev-server renderer trusts only its origin', () => {
  assert.equal(isTrustedSenderUrl('http://localhost:5173/', DEV), true);
  assert.equal(isTrustedSenderUrl('http://localhost:5173/src/App.svelte', DEV), true);
  assert.equal(isTrustedSenderUrl('http://localhost:5174/', DEV), false);
  assert.equal(isTrustedSenderUrl('https://localhost:5173/', DEV), false);
  assert.equal(isTrustedSenderUrl('http://localhost.evil.com:5173/', DEV), false);
  assert.equal(isTrustedSenderUrl(FILE, DEV), false);
});

test('the app: renderer trusts only its own scheme and host', () => {
  const APP = 'app://renderer/index.html';
  assert.equal(isTrustedSenderUrl('app://renderer/index.html', APP), true);
  assert.equal(isTrustedSenderUrl('app://renderer/assets/index.js#x', APP), true);
  assert.equal(isTrustedSenderUrl('app://other/index.html', APP), false);
  assert.equal(isTrustedSenderUrl('file:///index.html', APP), false);
  assert.equal(isTrustedSenderUrl('http://renderer/index.html', APP), false);
});
