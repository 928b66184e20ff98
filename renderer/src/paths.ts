/**
 * Paths on the machine running the api, as the page handles them: the page cannot use node:path,
 * and that machine may write them with backslashes (Windows).
 */

/** The separator a path uses: a backslash when it has backslashes and no slash, else a slash. */
const sepOf = (p: string): string => (p.includes('\\') && !p.includes('/') ? '\\' : '/');

/** The last part of a path ('' when it ends in a separator). */
export const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? '';

/** The folder part of a path, without its trailing separator ('' when it has none). */
export function dirName(p: string): string {
  const i = p.lastIndexOf(sepOf(p));
  return i < 0 ? '' : p.slice(0, i);
}

/** `name` inside the folder `dir`, with the folder's own separator. */
export function joinPath(dir: string, name: string): string {
  const sep = sepOf(dir);
  return dir.endsWith(sep) ? `${dir}${name}` : `${dir}${sep}${name}`;
}
