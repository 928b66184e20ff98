/**
 * Builds the Svelte renderer (renderer/index.html) into a folder with vite directly, the same
 * settings as electron.config.ts's renderer section (ES2022, relative base), for the browser host
 * when no build exists yet and for the end-to-end test.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../model/errors.js';

/** Where `npm run build` (and `seprune serve`) put the renderer. */
export const RENDERER_OUT = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const RENDERER_SRC = fileURLToPath(new URL('../../renderer', import.meta.url));

export function rendererBuilt(dir = RENDERER_OUT): boolean {
  return existsSync(join(dir, 'index.html'));
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Whether the build is missing or older than a renderer source (or the api contract it imports). */
export function rendererStale(dir = RENDERER_OUT): boolean {
  if (!rendererBuilt(dir)) return true;
  const built = statSync(join(dir, 'index.html')).mtimeMs;
  const contract = fileURLToPath(new URL('./contract.ts', import.meta.url));
  return Math.max(newestMtime(RENDERER_SRC), newestMtime(contract)) > built;
}

export async function buildRenderer(outDir = RENDERER_OUT): Promise<void> {
  let vite: typeof import('vite');
  let plugin: typeof import('@sveltejs/vite-plugin-svelte');
  try {
    vite = await import('vite');
    plugin = await import('@sveltejs/vite-plugin-svelte');
  } catch {
    throw new UserError('The UI is not built and vite is not installed to build it; run npm install, then npm run build.');
  }
  await vite.build({
    configFile: false,
    logLevel: 'warn',
    root: RENDERER_SRC,
    base: './',
    plugins: [plugin.svelte({ configFile: false })],
    build: { outDir, emptyOutDir: true, target: 'es2022', modulePreload: { polyfill: false } },
  });
}
