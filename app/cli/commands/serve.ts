/**
 * `seprune serve`: the whole app in a browser (browser mode). Builds the UI when out/renderer is
 * missing or older than its sources, starts the host on 127.0.0.1 (app/api/server.ts), prints
 * one line with the URL and its token, opens it in the default browser unless --no-open, and
 * serves until interrupted.
 */
import { spawn } from 'node:child_process';
import type { CommandSpec } from '../command.js';
import { str } from '../command.js';
import { UserError } from '../../model/errors.js';
import { startAppServer } from '../../api/server.js';
import { buildRenderer, rendererBuilt, rendererStale, RENDERER_OUT } from '../../api/build-renderer.js';

function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener on this machine: the printed URL is enough.
  }
}

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'Run the app in your browser: serve the UI and its api on 127.0.0.1 (the URL it prints carries the access token).',
  options: {
    port: { type: 'string', value: 'N', description: 'Port to listen on; 0 picks a free one.', default: '0' },
    'no-open': { type: 'boolean', description: 'Do not open the URL in the default browser.' },
    root: { type: 'string', value: 'DIR', description: 'Serve this renderer build instead of out/renderer.' },
    'max-jobs': { type: 'string', value: 'N', description: 'Jobs run at once; more wait in a queue (default: the number of cores, or SEPRUNE_MAX_JOBS).' },
  },
  positionals: [],
  examples: ['seprune serve', 'seprune serve --port 8080 --no-open'],
  async run(ctx) {
    const portText = str(ctx, 'port') ?? '0';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be an integer from 0 to 65535, got "${portText}".`);
    const jobsText = str(ctx, 'max-jobs');
    const maxJobs = jobsText === undefined ? undefined : Number(jobsText);
    if (maxJobs !== undefined && !(Number.isInteger(maxJobs) && maxJobs >= 1)) throw new UserError(`--max-jobs must be a whole number ≥ 1, got "${jobsText}".`);
    const root = str(ctx, 'root') ?? RENDERER_OUT;
    if (str(ctx, 'root')) {
      if (!rendererBuilt(root)) throw new UserError(`${root} holds no renderer build (index.html).`);
    } else if (rendererStale(root)) {
      ctx.log(rendererBuilt(root) ? 'Rebuilding the UI (its sources changed)...' : 'Building the UI (first start)...');
      await buildRenderer(root);
    }
    const server = await startAppServer({ root, port, ...(maxJobs !== undefined ? { maxJobs } : {}) });
    process.stdout.write(ctx.json ? JSON.stringify({ url: server.url, port: server.port }) + '\n' : `SE Prune Studio is running at ${server.url}\n`);
    if (ctx.values['no-open'] !== true) openInBrowser(server.url);
    await new Promise<void>((done) => {
      const stop = (): void => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return { json: { url: server.url, stopped: true }, text: 'stopped' };
  },
};
