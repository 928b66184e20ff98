/**
 * The fine-tune form's schedule and distillation temperature reach the trainer through the
 * service: the learning rate of the run's last step is the schedule's (constant keeps the peak,
 * cosine ends at 0, one-cycle at peak / 25 / 1e4), a teacher's temperature changes the loss, and
 * the service refuses values the CLI refuses. The defaults are the CLI's flag defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createService } from './service.js';
import type { DataChoice, FinetuneRequest, JobEvent, TrainProgressDto } from './contract.js';
import { finetuneCommand } from '../cli/commands/finetune.js';
import { DEFAULT_SCHEDULE, DEFAULT_TEMPERATURE } from '../train/defaults.js';
import { ONECYCLE_DIV, ONECYCLE_FINAL_DIV } from '../train/schedule.js';

const MODEL = 'zoo:se-mobilenet-demo';
const LR = 0.01;

function harness() {
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), version: 'test', recent: null });
  /** The training progress of a job, once it ended (throws unless it ended done). */
  const trained = async (jobId: string): Promise<TrainProgressDto[]> => {
    for (let i = 0; i < 1200; i++) {
      const e = events.find((x) => x.jobId === jobId && x.type !== 'progress' && x.type !== 'queued');
      if (e) {
        assert.equal(e.type, 'done', JSON.stringify(e));
        return events.flatMap((x) => (x.jobId === jobId && x.type === 'progress' && x.train ? [x.train] : []));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${jobId} did not finish`);
  };
  return { service, trained };
}

test('the app\'s fine-tune defaults are the CLI\'s', () => {
  assert.equal(finetuneCommand.options.schedule?.default, DEFAULT_SCHEDULE);
  assert.equal(finetuneCommand.options.temperature?.default, String(DEFAULT_TEMPERATURE));
});

test('fine-tune: the schedule and the temperature reach the trainer; bad values are refused', { timeout: 120_000 }, async () => {
  const { service, trained } = harness();
  try {
    const m = await service.openModel({ model: MODEL });
    const data: DataChoice = { data: 'fashion-mnist', split: 'train', limit: 16, seed: 0, preprocess: m.preprocessing };
    const req: FinetuneRequest = { modelId: m.id, data, epochs: 1, batchSize: 8, lr: LR, optimizer: 'sgd', teacherId: null, evalLimit: 10, engine: 'tfjs' };
    await assert.rejects(service.finetune({ ...req, schedule: 'linear' as FinetuneRequest['schedule'] }), /schedule must be cosine, onecycle, constant/);
    await assert.rejects(service.finetune({ ...req, temperature: 0 }), /temperature must be a number above 0/);

    const lastLr = async (schedule: FinetuneRequest['schedule']): Promise<number> => {
      const p = await trained((await service.finetune({ ...req, schedule })).jobId);
      const last = p.at(-1)!;
      assert.equal(last.step, last.steps);
      return last.lr;
    };
    assert.equal(await lastLr('constant'), LR);
    assert.equal(await lastLr('cosine'), 0);
    assert.equal(await lastLr(undefined), 0, 'the default schedule is cosine');
    assert.ok(Math.abs((await lastLr('onecycle')) - LR / ONECYCLE_DIV / ONECYCLE_FINAL_DIV) < 1e-12);

    // With a teacher the first step's loss is cross-entropy blended with T²·KL at temperature T.
    const teacher = await service.openModel({ model: 'zoo:se-shufflenet-demo' });
    const firstLoss = async (temperature: number): Promise<number> =>
      (await trained((await service.finetune({ ...req, schedule: 'constant', teacherId: teacher.id, temperature })).jobId))[0].loss;
    const [t1, t8, t8again] = [await firstLoss(1), await firstLoss(8), await firstLoss(8)];
    assert.equal(t8, t8again, 'the same settings train the same');
    assert.notEqual(t1, t8, 'the temperature changes the distillation loss');
  } finally {
    service.close();
  }
});
