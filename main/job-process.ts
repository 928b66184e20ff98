/**
 * Jobs in Electron: each long job (statistics, prune, fine-tune, export, compare) runs in a
 * utility process (utilityProcess.fork), so the main process keeps answering the window. The
 * process runs the same worker as the browser host's child processes (app/api/job-worker.ts,
 * through app/api/job-worker-boot.mjs, which loads the TypeScript sources with tsx as the CLI
 * does) and speaks the same messages (app/api/job-host.ts), through `process.parentPort`.
 */
import { existsSync } from 'node:fs';
import { utilityProcess } from 'electron';
import { inProcessHost, processHost, WORKER_BOOT, type FromWorker, type JobHost, type JobProcess } from '../app/api/job-host.js';

/** One job in a utility process. */
export function utilityJobProcess(entry: string): JobProcess {
  const child = utilityProcess.fork(entry, [], { serviceName: 'SE Prune Studio job', stdio: 'inherit' });
  let exited = '';
  const exits: ((why: string) => void)[] = [];
  child.on('exit', (code) => {
    exited = `exit code ${code}`;
    exits.forEach((f) => f(exited));
  });
  return {
    send: (m) => {
      if (!exited) child.postMessage(m);
    },
    onMessage: (fn) => child.on('message', (m) => fn(m as FromWorker)),
    onExit: (fn) => (exited ? fn(exited) : exits.push(fn)),
    kill: () => {
      if (!exited) child.kill();
    },
  };
}

/**
 * The job host of the desktop app: utility processes with a loaded spare; in the main process
 * (with a warning) only when the worker's entry is missing from this installation.
 */
export function desktopJobHost(entry = WORKER_BOOT): JobHost {
  if (!existsSync(entry)) {
    console.warn(`The job worker ${entry} is missing; long jobs will run in the main process.`);
    return inProcessHost;
  }
  return processHost(() => utilityJobProcess(entry), { warm: true });
}
