/** The renderer page's CSP meta tag must be exactly the policy main and the browser host send. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from './csp.js';

test('renderer/index.html carries the same CSP as csp.ts', () => {
  const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
  const m = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html);
  assert.ok(m, 'index.html has no CSP meta tag');
  assert.equal(m[1], CONTENT_SECURITY_POLICY);
});

test('the policy allows nothing inline, no eval and no framing', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY_HEADER.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('style-src'), ["'self'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.ok(!CONTENT_SECURITY_POLICY_HEADER.includes('unsafe'));
});
