#!/usr/bin/env node
// `npm start`: builds the app when out/ lacks a build, then runs it in Electron when the electron
// package and its binary are installed; otherwise (e.g. machines that cannot download Electron)
// serves the same UI to the browser through the browser host, `seprune serve` (app/api/server.ts).
// Arguments after `--` go to the browser host (`npm start -- --port 8080`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

function isBuilt() {
  return ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'].every((p) => existsSync(join(root, p)));
}

/** The Electron binary's path, or null when the package or its downloaded binary is absent. */
function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** Runs a child with this terminal, passes on termination signals, exits with its status. */
function runAndExit(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (!isBuilt()) {
  console.log('Building the app (first start)...');
  const cli = join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const build = spawnSync(process.execPath, [cli, 'build', '--config', 'electron.config.ts'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('The build failed (see above); fix it, or run npm run build to see it again.');
    process.exit(1);
  }
}

const electron = electronBinary();
if (electron) {
  runAndExit(electron, [root]);
} else {
  console.log(
    'Electron is not installed on this machine (its binary cannot be downloaded here); serving the same UI in your browser instead.',
  );
  runAndExit(process.execPath, [join(root, 'bin', 'seprune.mjs'), 'serve', ...args]);
}
