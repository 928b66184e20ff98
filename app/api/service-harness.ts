/**
 * The api service as the tests drive it: every job event it emits is kept, and `until(jobId)`
 * waits for that job's end (done, error or cancelled), polling every `pollMs` for `waitMs` at most.
 * Not a test file itself: the service tests import it.
 */
import { createService, type ServiceOptions } from './service.js';
import type { JobEvent } from './contract.js';

export function serviceHarness(o: Partial<ServiceOptions> = {}, waitMs = 60_000, pollMs = 50) {
  const events: JobEvent[] = [];
  const service = createService({ emit: (e) => events.push(e), version: 'test', recent: null, ...o });
  const until = async (jobId: string): Promise<JobEvent> => {
    for (let waited = 0; waited < waitMs; waited += pollMs) {
      const e = events.find((x) => x.jobId === jobId && x.type !== 'progress' && x.type !== 'queued');
      if (e) return e;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`job ${jobId} did not finish`);
  };
  return { service, events, until };
}
