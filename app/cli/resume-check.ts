/**
 * What `finetune --resume` says when its checkpoint folder holds no checkpoint. It refuses rather
 * than silently starting from the model: a user who asks to resume expects hours of training to
 * continue, and an empty or mistyped folder is far more often a wrong path than a first run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { CHECKPOINT_JSON } from '../train/index.js';

export function resumeFoundNothing(dir: string): string {
  const fresh = 'run without --resume to start from the model';
  if (!existsSync(dir)) return `--resume found no checkpoint: the folder ${dir} does not exist; ${fresh}.`;
  if (!statSync(dir).isDirectory()) return `--resume found no checkpoint: ${dir} is a file, not a folder; ${fresh}.`;
  const n = readdirSync(dir).length;
  return n === 0
    ? `--resume found no checkpoint: the folder ${dir} is empty; ${fresh}.`
    : `--resume found no checkpoint in ${dir} (no ${CHECKPOINT_JSON} among its ${n} entries); ${fresh}.`;
}
