/**
 * The window guards on a stand-in for Electron's WebContents (the Electron binary cannot be
 * installed here): every navigation-like event to another page is cancelled, the app's own page
 * is let through, webviews and new windows are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { guardWindow, type GuardedContents } from './window-guards.js';

class Contents extends EventEmitter {
  openHandler: ((d: { url: string }) => { action: 'deny' }) | null = null;
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' }): void {
    this.openHandler = h;
  }
}

function fire(c: Contents, event: string, url?: string): boolean {
  let prevented = false;
  const e = { preventDefault: () => (prevented = true), url: url ?? '' };
  if (event === 'will-frame-navigate' || event === 'will-attach-webview') c.emit(event, e);
  else c.emit(event, e, url);
  return prevented;
}

test('navigation, redirects and frame navigation leave only to the app page', () => {
  const c = new Contents();
  const home = 'app://renderer/index.html';
  guardWindow(c as unknown as GuardedContents, (url) => url.startsWith('app://renderer/'));
  for (const ev of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
    assert.equal(fire(c, ev, 'https://evil.example/'), true, `${ev} to another site`);
    assert.equal(fire(c, ev, 'file:///etc/passwd'), true, `${ev} to a file`);
    assert.equal(fire(c, ev, home), false, `${ev} to the app page`);
  }
  assert.equal(fire(c, 'will-attach-webview'), true);
  assert.deepEqual(c.openHandler?.({ url: home }), { action: 'deny' });
});
