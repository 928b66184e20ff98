/**
 * Runs fuzz cases in a worker process with a watchdog: a case that takes longer than `timeoutMs`
 * is a hang, one that takes the process past `memoryBytes` (resident, sampled every 25 ms from
 * /proc) is a memory failure, a process that dies is a crash; each of these kills the worker and
 * starts a fresh one. Peak RSS is the worker's high-water mark (VmHWM) over the whole run.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { storeCase, type CaseResult, type FuzzCase } from './case.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface PoolOptions {
  seeds: string;
  timeoutMs?: number;
  memoryBytes?: number;
}

function status(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export class FuzzPool {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private next = 0;
  /** Highest resident memory any worker reached, in bytes. */
  peakRss = 0;
  restarts = 0;

  constructor(private readonly o: PoolOptions) {}

  private start(): Promise<void> {
    const child = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    child.stderr!.resume();
    this.child = child;
    this.ready = new Promise<void>((ok, fail) => {
      child.once('message', () => ok());
      child.once('exit', (code) => fail(new Error(`the fuzz worker exited with ${code} before it was ready`)));
    });
    return this.ready;
  }

  private kill(): void {
    const c = this.child;
    this.child = null;
    this.ready = null;
    if (c && c.exitCode === null) c.kill('SIGKILL');
    this.restarts++;
  }

  async run(c: FuzzCase): Promise<CaseResult> {
    if (!this.child) await this.start();
    await this.ready;
    const child = this.child!;
    const id = ++this.next;
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    const memory = this.o.memoryBytes ?? 2 ** 31;
    const t0 = Date.now();
    return new Promise<CaseResult>((resolve) => {
      let done = false;
      const finish = (r: CaseResult, restart: boolean): void => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        this.peakRss = Math.max(this.peakRss, status(child.pid!).hwm);
        if (restart) this.kill();
        resolve(r);
      };
      const onMessage = (m: { id?: number; result?: CaseResult }) => {
        if (m.id === id && m.result) finish(m.result, false);
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish({ outcome: 'crash', message: `the worker died (${signal ?? `exit ${code}`})`, ms: Date.now() - t0 }, true);
      const poll = setInterval(() => {
        const s = status(child.pid!);
        this.peakRss = Math.max(this.peakRss, s.hwm);
        if (s.rss > memory) finish({ outcome: 'memory', message: `resident memory passed ${(memory / 2 ** 30).toFixed(1)} GiB`, ms: Date.now() - t0 }, true);
      }, 25);
      const timer = setTimeout(() => finish({ outcome: 'hang', message: `no answer within ${timeoutMs / 1000} s`, ms: timeoutMs }, true), timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, c: storeCase(c), seeds: this.o.seeds });
    });
  }

  close(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    this.child = null;
  }
}
