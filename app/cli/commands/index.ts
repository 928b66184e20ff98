/** The command table of `seprune`; each command lives in its own module. */
import type { CommandSpec } from '../command.js';
import { inspectCommand } from './inspect.js';
import { zooCommand } from './zoo.js';
import { doctorCommand } from './doctor.js';
import { statsCommand } from './stats.js';
import { evalCommand } from './eval.js';
import { demoCommand } from './demo.js';
import { exportCommand } from './export.js';
import { pruneCommand } from './prune.js';
import { finetuneCommand } from './finetune.js';
import { serveCommand } from './serve.js';
import { compareCommand } from './compare.js';

export const COMMANDS: CommandSpec[] = [inspectCommand, statsCommand, evalCommand, pruneCommand, finetuneCommand, compareCommand, zooCommand, doctorCommand, demoCommand, exportCommand, serveCommand];
