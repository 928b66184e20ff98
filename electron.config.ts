/**
 * electron-vite build configuration: the Electron main process (`main/index.ts`), the sandboxed
 * preload (`main/preload.ts`) and the Svelte renderer (`renderer/index.html`), all written to
 * `out/` (`out/main/index.js`, `out/preload/index.cjs`, `out/renderer/`).
 *
 * It builds without the `electron` package: electron-vite reads `electron/package.json` only to
 * learn Electron's major version (which picks the Node/Chrome targets and ES-module support).
 * That package cannot install on machines without a route to Electron's CDN, so when it is absent
 * the major version is taken from the `optionalDependencies.electron` range in package.json and
 * handed to electron-vite through `ELECTRON_MAJOR_VER`, and the build targets are set explicitly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = fileURLToPath(new URL('.', import.meta.url));

/** The Node version bundled by each supported Electron major (from the Electron releases). */
const NODE_TARGETS: Record<string, string> = { '37': 'node22.16', '38': 'node22.19', '39': 'node22.20' };

/** Electron's major version: from the installed package when present, else from package.json. */
function electronMajor(): string {
  try {
    const pkgPath = createRequire(import.meta.url).resolve('electron/package.json');
    return String(JSON.parse(readFileSync(pkgPath, 'utf8')).version).split('.')[0];
  } catch {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
    const range: string = pkg.optionalDependencies?.electron ?? pkg.devDependencies?.electron ?? '';
    const m = /(\d+)/.exec(range);
    if (!m) throw new Error('package.json names no electron version, so the build targets are unknown.');
    return m[1];
  }
}

const major = electronMajor();
process.env.ELECTRON_MAJOR_VER ||= major;
const nodeTarget = NODE_TARGETS[major] ?? 'node22.19';

export default defineConfig({
  main: {
    build: {
      target: nodeTarget,
      outDir: resolve(root, 'out/main'),
      lib: { entry: resolve(root, 'main/index.ts'), formats: ['es'], fileName: () => 'index.js' },
    },
  },
  preload: {
    build: {
      target: nodeTarget,
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload cannot be an ES module: it must be one CommonJS script.
      lib: { entry: resolve(root, 'main/preload.ts'), formats: ['cjs'] },
      rolldownOptions: { output: { entryFileNames: 'index.cjs' } },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte({ configFile: false })],
    build: {
      // The same bundle is served to ordinary browsers in browser mode, so it targets ES2022
      // rather than the Chrome inside this Electron.
      target: 'es2022',
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: { input: resolve(root, 'renderer/index.html') },
    },
  },
});
