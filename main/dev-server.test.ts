/** ELECTRON_RENDERER_URL is honoured only in development builds and only on loopback. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { devRendererUrl } from './dev-server.js';

test('a development build takes a loopback dev server', () => {
  assert.equal(devRendererUrl('http://localhost:5173', false), 'http://localhost:5173/');
  assert.equal(devRendererUrl('http://127.0.0.1:5173/', false), 'http://127.0.0.1:5173/');
  assert.equal(devRendererUrl('https://[::1]:5173/', false), 'https://[::1]:5173/');
});

test('a packaged app, another host, another scheme or garbage is ignored', () => {
  assert.equal(devRendererUrl('http://localhost:5173', true), undefined);
  assert.equal(devRendererUrl('http://evil.example:5173', false), undefined);
  assert.equal(devRendererUrl('http://localhost.evil.example/', false), undefined);
  assert.equal(devRendererUrl('file:///tmp/page.html', false), undefined);
  assert.equal(devRendererUrl('javascript:alert(1)', false), undefined);
  assert.equal(devRendererUrl('not a url', false), undefined);
  assert.equal(devRendererUrl('', false), undefined);
  assert.equal(devRendererUrl(undefined, false), undefined);
});
