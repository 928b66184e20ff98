/**
 * The renderer's Content-Security-Policy: only its own scripts, styles and API, nothing inline,
 * no eval, no plugins, no framing. `renderer/index.html` carries CONTENT_SECURITY_POLICY in a meta
 * tag (a test keeps the two equal); Electron's session and the browser host also send it as a
 * header, with `frame-ancestors`, which only a header can carry.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/** The header form: the meta-tag policy plus what only a header can say. */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;
