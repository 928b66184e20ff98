/** The app's prune form starts from the settings the CLI takes when no flag is given (one list, app/workflows/prune.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRUNE_DEFAULTS as APP } from './contract.js';
import { PRUNE_DEFAULTS as WORKFLOW } from '../workflows/prune.js';
import { pruneCommand } from '../cli/commands/prune.js';

test('the app\'s prune defaults, the workflow\'s and the CLI\'s flag defaults are the same settings', () => {
  assert.deepEqual(
    { criterion: APP.criterion, residual: APP.residual, minChannels: APP.minChannels, roundTo: APP.roundTo, steps: APP.steps, recalibrate: APP.recalibrate, fold: { mode: APP.fold.mode, constantThreshold: APP.fold.constant, identityThreshold: APP.fold.identity }, evalSplit: APP.evalSplit, finetuneImages: APP.finetuneImages },
    { criterion: WORKFLOW.criterion, residual: WORKFLOW.residual, minChannels: WORKFLOW.minChannels, roundTo: WORKFLOW.roundTo, steps: WORKFLOW.steps, recalibrate: WORKFLOW.recalibrate, fold: WORKFLOW.fold, evalSplit: WORKFLOW.evalSplit, finetuneImages: WORKFLOW.finetuneImages },
  );
  const flag = (k: string) => pruneCommand.options[k]?.default;
  assert.deepEqual(
    [flag('criterion'), flag('residual'), flag('min-channels'), flag('round-to'), flag('steps'), flag('fold-se'), flag('fold-constant'), flag('fold-identity'), flag('finetune-images'), flag('eval-split')],
    [WORKFLOW.criterion, WORKFLOW.residual, '1', '1', '1', 'auto', '0.01', '0.02', '0', 'test'],
  );
});
