/** The `--engine` flag of the commands that run inference. */
import type { CommandContext, OptionSpec } from './command.js';
import { str } from './command.js';
import { UserError } from '../model/errors.js';

export const ENGINE_OPTION: Record<string, OptionSpec> = {
  engine: { type: 'string', value: 'auto|onnxruntime|tfjs', description: 'Inference engine (auto: onnxruntime-node, falling back to the tfjs executor).', default: 'auto' },
};

export function engineChoice(ctx: CommandContext): 'auto' | 'onnxruntime' | 'tfjs' {
  const e = str(ctx, 'engine') ?? 'auto';
  if (e !== 'auto' && e !== 'onnxruntime' && e !== 'tfjs') throw new UserError(`--engine must be auto, onnxruntime or tfjs, got "${e}".`);
  return e;
}
