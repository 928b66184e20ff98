/** Schedules at known steps, against the closed forms written out by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, ONECYCLE_DIV, ONECYCLE_FINAL_DIV } from './schedule.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('cosine with linear warm-up', () => {
  const o = { kind: 'cosine' as const, lr: 0.1, totalSteps: 110, warmupSteps: 10 };
  close(learningRate(0, o), 0.01, 'first warm-up step');
  close(learningRate(4, o), 0.05, 'mid warm-up');
  close(learningRate(9, o), 0.1, 'last warm-up step reaches the peak');
  close(learningRate(10, o), 0.1, 'cosine starts at the peak');
  // 100 cosine steps 10..109: t = (s − 10) / 99.
  close(learningRate(10 + 33, o), 0.05 * (1 + Math.cos((Math.PI * 33) / 99)), 'a third of the way');
  close(learningRate(109, o), 0, 'ends at minLr');
  close(learningRate(109, { ...o, minLr: 0.001 }), 0.001, 'ends at a given minLr');
  // Monotone non-increasing after warm-up.
  for (let s = 11; s < 110; s++) assert.ok(learningRate(s, o) <= learningRate(s - 1, o) + 1e-15);
  close(learningRate(0, { ...o, warmupSteps: 0 }), 0.1, 'no warm-up starts at the peak');
});

test('one-cycle: linear up from lr/25, cosine down to lr/25/1e4', () => {
  const o = { kind: 'onecycle' as const, lr: 0.4, totalSteps: 100, warmupSteps: 0 };
  const start = 0.4 / ONECYCLE_DIV;
  const end = start / ONECYCLE_FINAL_DIV;
  // Default warm-up is 30 steps: step 0 = start, step 29 = peak.
  close(learningRate(0, o), start, 'start');
  close(learningRate(29, o), 0.4, 'peak at the end of warm-up');
  close(learningRate(10, o), start + ((0.4 - start) * 10) / 29, 'linear ramp');
  close(learningRate(99, o), end, 'end');
  // Cosine half way through the 70 annealing steps (step 29 + 35).
  close(learningRate(64, o), end + (0.4 - end) * 0.5 * (1 + Math.cos(Math.PI * 0.5)), 'half way down');
  close(learningRate(4, { ...o, warmupSteps: 5 }), 0.4, 'explicit warm-up of 5 steps peaks at step 4');
});

test('constant with warm-up', () => {
  const o = { kind: 'constant' as const, lr: 0.2, totalSteps: 50, warmupSteps: 4 };
  close(learningRate(1, o), 0.1, 'warm-up');
  close(learningRate(30, o), 0.2, 'constant');
});
