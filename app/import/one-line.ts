/** Keeps user-facing import errors to one printable line (names in damaged files may hold control bytes). */
import { ModelError, UserError } from '../model/errors.js';

export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** Rethrows `e` as a one-line UserError: its own message when it is one, else `fallback(detail)`. */
export function oneLineError(e: unknown, fallback: (detail: string) => string): never {
  if (e instanceof UserError) {
    const clean = printable(e.message);
    if (clean === e.message) throw e;
    throw new ModelError(clean);
  }
  const detail = e instanceof Error ? e.message.replace(/\.$/, '') : String(e);
  throw new ModelError(printable(fallback(detail)));
}
