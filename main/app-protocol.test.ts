/** Which file an app:// URL names: only files under the renderer folder, never outside it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { APP_INDEX_URL, appUrlToFile, contentType } from './app-protocol.js';

const ROOT = '/opt/app/out/renderer';

test('app://renderer URLs name files under the renderer folder', () => {
  assert.equal(appUrlToFile(APP_INDEX_URL, ROOT), join(ROOT, 'index.html'));
  assert.equal(appUrlToFile('app://renderer/', ROOT), join(ROOT, 'index.html'));
  assert.equal(appUrlToFile('app://renderer/assets/index-abc.js?v=1#x', ROOT), join(ROOT, 'assets', 'index-abc.js'));
  assert.equal(appUrlToFile('app://renderer/assets/a%20b.css', ROOT), join(ROOT, 'assets', 'a b.css'));
  // The URL parser resolves dot segments (literal or %2e) at the root, so they stay inside the folder.
  assert.equal(appUrlToFile('app://renderer/../../etc/passwd', ROOT), join(ROOT, 'etc', 'passwd'));
  assert.equal(appUrlToFile('app://renderer/%2e%2e/%2e%2e/etc/passwd', ROOT), join(ROOT, 'etc', 'passwd'));
});

test('nothing outside the folder, another host or scheme, or a malformed path is served', () => {
  for (const url of [
    'app://renderer/assets/..%2f..%2fsecret',
    'app://renderer/assets%5c..%5c..%5csecret',
    'app://renderer/a%00.html',
    'app://renderer/%E0%A4%A',
    'app://other/index.html',
    'file:///opt/app/out/renderer/index.html',
    'https://renderer/index.html',
    'not a url',
  ]) {
    assert.equal(appUrlToFile(url, ROOT), null, url);
  }
});

test('content types of the renderer build', () => {
  assert.equal(contentType('/x/index.html'), 'text/html; charset=utf-8');
  assert.equal(contentType('/x/a.JS'), 'text/javascript; charset=utf-8');
  assert.equal(contentType('/x/a.wasm'), 'application/wasm');
  assert.equal(contentType('/x/a.exe'), 'application/octet-stream');
});
