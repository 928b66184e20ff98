/** What a training engine is (the registry, ./index.ts, lists them in the order `auto` tries them). */
import type { Graph } from '../../model/ir.js';
import type { Dataset } from '../../data/types.js';
import type { TrainOptions, TrainResult } from '../options.js';
import type { TorchProbe } from '../torch/python.js';
import type { TorchJobSettings } from '../torch/job.js';
import type { TorchRunInfo } from '../torch/engine.js';

/** What an engine's probe found: it can train here on the device asked for, or why not. */
export type EngineProbe =
  | { ok: true; device: string; why: string; python?: TorchProbe; pythons: TorchProbe[] }
  | {
      ok: false;
      reason: string;
      pythons: TorchProbe[];
      /** The error when this engine was asked for by name (default: "The <name> engine cannot run: <reason>."). */
      refuse?: Error;
      /** A refusal that stops `auto` too: the engine is here but cannot give what was asked. */
      fatal?: boolean;
    };

/** One training run as an engine gets it. */
export interface TrainWork {
  graph: Graph;
  ds: Dataset;
  options: TrainOptions;
  /** The engine's decision (chooseEngine): its name, device and Python. */
  engine: { engine: string; device: string; python?: TorchProbe };
  /** Settings of an engine that runs in a Python process (DDP processes in `devices`). */
  torch?: Omit<TorchJobSettings, 'device'> & { devices?: number };
  /** Data-parallel worker threads of an in-process engine. */
  workers: number;
}

export interface TrainEngine {
  name: string;
  /** How a sentence names it ("PyTorch", "the built-in engine"). */
  label: string;
  /** Whether it can train here on `device` (auto, cpu, cuda, cuda:N, mps). */
  probe(device: string, env: NodeJS.ProcessEnv): EngineProbe;
  train(w: TrainWork): Promise<TrainResult & Partial<TorchRunInfo>>;
}
