/** How long-running work reports progress: the CLI draws a bar, the app sends events; the core only calls this. */
export interface Progress {
  /**
   * Reports progress of a long step; the CLI draws a bar on a TTY (never with --json), with the
   * time left: `etaSeconds` when the work knows it (training), else estimated from the rate so far.
   */
  update(label: string, done: number, total: number, etaSeconds?: number): void;
  done(): void;
}

/** `p` with every update named `label` (a step inside a larger job); its done() is left to the job. */
export function relabelled(p: Pick<Progress, 'update'>, label: string): Progress {
  return { update: (_l, done, total) => p.update(label, done, total), done: () => {} };
}
