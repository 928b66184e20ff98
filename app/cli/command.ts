/**
 * What a `seprune` command is: its options (each with a description, so `--help` is generated),
 * its positionals, and a run function returning both the JSON object `--json` prints and the
 * text a person reads.
 */
import type { Progress } from '../util/progress.js';

export type { Progress };

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Shown in --help after the flag, e.g. "N" or "PATH". */
  value?: string;
  default?: string | boolean;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  variadic?: boolean;
  description: string;
}


export interface CommandContext {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  json: boolean;
  progress: Progress;
  /** Status lines for a person (stderr), silent with --json. */
  log(line: string): void;
  /** Datasets the command opened, with their warnings; main adds them to the --json object as `datasets`. */
  datasets?: DatasetReport[];
}

export interface CommandResult {
  json: unknown;
  text: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  options: Record<string, OptionSpec>;
  positionals: PositionalSpec[];
  examples?: string[];
  run(ctx: CommandContext): Promise<CommandResult>;
}

/** Reads a string option (first value if given several times). */
export function str(ctx: CommandContext, key: string): string | undefined {
  const v = ctx.values[key];
  if (Array.isArray(v)) return v[0];
  return typeof v === 'string' ? v : undefined;
}

/** What a command tells about each dataset it opened (text: stderr lines; --json: the `datasets` list). */
export interface DatasetReport {
  role: string;
  name: string;
  source: string;
  split: 'train' | 'test';
  warnings: string[];
  notes: string[];
  /** Images left out because the pipeline makes them another size than the model takes. */
  skippedForSize: number;
  preprocessing: string;
}
