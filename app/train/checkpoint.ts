/**
 * Training checkpoints in a folder: after every epoch the trainer writes the model as a
 * `.seprune` project (loadable by every command), the optimiser state as raw float32 slots, and
 * last `checkpoint.json` naming both. Files carry the epoch in their names and the JSON is written
 * last (atomically), so whatever moment a run stops at, checkpoint.json points at a complete pair;
 * the previous epoch's files are removed only after it does.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../model/ir.js';
import type { Project } from '../model/project-file.js';
import { decodeProject } from '../model/project-file.js';
import { saveProject } from '../model/project-file.js';
import { UserError } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { OptimizerKind, OptimizerState } from './optimizers.js';

export const CHECKPOINT_JSON = 'checkpoint.json';

export interface EpochSummary {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** Training accuracy over the epoch (augmented images, training-mode BN). */
  accuracy: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

/** What must match for a resume to continue the same run. */
export interface RunConfig {
  optimizer: OptimizerKind;
  epochs: number;
  stepsPerEpoch: number;
  batchSize: number;
  seed: number;
}

export interface CheckpointMeta {
  format: 'seprune-checkpoint';
  version: 1;
  /** Epochs completed. */
  epoch: number;
  config: RunConfig;
  model: string;
  optimizerState: string;
  optimizerSteps: number;
  slots: { key: string; offset: number; length: number }[];
  history: EpochSummary[];
  at: string;
}

export function checkpointExists(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_JSON));
}

/** What a checkpoint's model file carries besides the weights, so it evaluates and exports like the final output. */
export type CheckpointProject = Pick<Project, 'preprocessing' | 'labels'>;

export function saveCheckpoint(
  dir: string,
  graph: Graph,
  state: OptimizerState,
  epoch: number,
  config: RunConfig,
  history: EpochSummary[],
  project: CheckpointProject = {},
): void {
  mkdirSync(dir, { recursive: true });
  const model = `epoch-${epoch}.seprune`;
  const stateFile = `epoch-${epoch}.optimizer.bin`;
  saveProject(join(dir, model), { ...project, graph, history: [{ step: 'checkpoint', at: new Date().toISOString(), details: { epoch } }] }, { force: true });
  const slots: CheckpointMeta['slots'] = [];
  let offset = 0;
  for (const [key, a] of state.slots) {
    slots.push({ key, offset, length: a.length });
    offset += a.length;
  }
  const blob = new Float32Array(offset);
  for (const s of slots) blob.set(state.slots.get(s.key)!, s.offset);
  writeFileAtomic(join(dir, stateFile), new Uint8Array(blob.buffer), { force: true });
  const meta: CheckpointMeta = {
    format: 'seprune-checkpoint',
    version: 1,
    epoch,
    config,
    model,
    optimizerState: stateFile,
    optimizerSteps: state.t,
    slots,
    history,
    at: new Date().toISOString(),
  };
  writeFileAtomic(join(dir, CHECKPOINT_JSON), new TextEncoder().encode(JSON.stringify(meta, null, 1)), { force: true });
  // Older epochs' files are now unreferenced.
  for (const f of readdirSync(dir)) {
    const m = /^epoch-(\d+)\.(seprune|optimizer\.bin)$/.exec(f);
    if (m && Number(m[1]) !== epoch) rmSync(join(dir, f), { force: true });
  }
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  graph: Graph;
  state: OptimizerState;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint {
  const path = join(dir, CHECKPOINT_JSON);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw new UserError(`Checkpoint ${path} cannot be read: ${(e as Error).message.split('\n')[0]}.`);
  }
  if (meta.format !== 'seprune-checkpoint' || meta.version !== 1) throw new UserError(`${path} is not a checkpoint this version writes.`);
  let graph: Graph;
  let raw: Buffer;
  try {
    graph = decodeProject(readFileSync(join(dir, meta.model)), `Checkpoint model ${meta.model}`).graph;
    raw = readFileSync(join(dir, meta.optimizerState));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`Checkpoint in ${dir} is incomplete: ${(e as Error).message.split('\n')[0]}.`);
  }
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const slots = new Map<string, Float32Array>();
  for (const s of meta.slots) {
    if (s.offset + s.length > floats.length) throw new UserError(`Checkpoint optimiser state in ${dir} is truncated.`);
    slots.set(s.key, floats.slice(s.offset, s.offset + s.length));
  }
  return { meta, graph, state: { kind: meta.config.optimizer, t: meta.optimizerSteps, slots } };
}
