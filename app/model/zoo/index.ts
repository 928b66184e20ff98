/**
 * The model zoo: `zoo:<name>` or `zoo:<name>?input=32x32x3&classes=10&width=0.5&r=8&se=off&seBias=on&seed=1`.
 * Full-size models default to ImageNet (224×224×3, 1000 classes); `-demo` models to
 * Fashion-MNIST (28×28×1, 10 classes).
 */
import type { Graph } from '../ir.js';
import { ModelError } from '../errors.js';
import type { ZooConfig } from './config.js';
import { buildSeResNet, RESNET_SPECS } from './resnet.js';
import { buildSeMobileNet, MOBILENET_DEMO_UNITS, MOBILENET_V1_UNITS } from './mobilenet.js';
import { buildSeMobileNetV3, MOBILENET_V3_DEMO, MOBILENET_V3_SMALL } from './mobilenetv3.js';
import { buildSeShuffleNet, SHUFFLENET_V1_DEMO, SHUFFLENET_V1_G3 } from './shufflenet.js';
import { buildSeShuffleNetV2, SHUFFLENET_V2_1X, SHUFFLENET_V2_DEMO } from './shufflenetv2.js';

export interface ZooEntry {
  name: string;
  description: string;
  defaults: ZooConfig;
  build: (name: string, cfg: ZooConfig) => Graph;
}

const IMAGENET: Pick<ZooConfig, 'input' | 'classes'> = { input: [224, 224, 3], classes: 1000 };
const DEMO: Pick<ZooConfig, 'input' | 'classes'> = { input: [28, 28, 1], classes: 10 };
const base = { width: 1, r: 16, se: true, seBias: false, seed: 0 };

export const ZOO: ZooEntry[] = [
  ...(['18', '34', '50', '101'] as const).map((d) => ({
    name: `se-resnet${d}`,
    description: `SE-ResNet-${d} (${RESNET_SPECS[d].block} blocks), SE on the residual branch before the add`,
    defaults: { ...IMAGENET, ...base },
    build: (n: string, c: ZooConfig) => buildSeResNet(n, RESNET_SPECS[d], c),
  })),
  {
    name: 'se-resnet-demo',
    description: 'Small SE-ResNet (basic blocks, widths 16/32/64) for 28×28 inputs',
    defaults: { ...DEMO, ...base, r: 4 },
    build: (n, c) => buildSeResNet(n, RESNET_SPECS.demo, c),
  },
  {
    name: 'se-mobilenet',
    description: 'SE-MobileNet (V1, depthwise-separable units, SE on each pointwise output)',
    defaults: { ...IMAGENET, ...base },
    build: (n, c) => buildSeMobileNet(n, MOBILENET_V1_UNITS, 32, c),
  },
  {
    name: 'se-mobilenet-demo',
    description: 'Small SE-MobileNet (V1 units) for 28×28 inputs',
    defaults: { ...DEMO, ...base, r: 8 },
    build: (n, c) => buildSeMobileNet(n, MOBILENET_DEMO_UNITS, 16, c),
  },
  {
    name: 'se-mobilenetv3',
    description: 'Inverted-residual SE-MobileNet (MobileNetV3-Small table, hard-sigmoid gates on expanded channels)',
    defaults: { ...IMAGENET, ...base, r: 4, seBias: true },
    build: (n, c) => buildSeMobileNetV3(n, MOBILENET_V3_SMALL, c),
  },
  {
    name: 'se-mobilenetv3-demo',
    description: 'Small inverted-residual SE-MobileNet (hard-sigmoid gates) for 28×28 inputs',
    defaults: { ...DEMO, ...base, r: 4, seBias: true },
    build: (n, c) => buildSeMobileNetV3(n, MOBILENET_V3_DEMO, c),
  },
  {
    name: 'se-shufflenet',
    description: 'SE-ShuffleNet (V1, 1×, g = 3), SE on each unit branch before the join',
    defaults: { ...IMAGENET, ...base },
    build: (n, c) => buildSeShuffleNet(n, SHUFFLENET_V1_G3, c),
  },
  {
    name: 'se-shufflenet-demo',
    description: 'Small SE-ShuffleNet (V1, g = 3) for 28×28 inputs',
    defaults: { ...DEMO, ...base, r: 8 },
    build: (n, c) => buildSeShuffleNet(n, SHUFFLENET_V1_DEMO, c),
  },
  {
    name: 'se-shufflenetv2',
    description: 'SE-ShuffleNetV2 1× (split, branch with SE, concat, shuffle)',
    defaults: { ...IMAGENET, ...base },
    build: (n, c) => buildSeShuffleNetV2(n, SHUFFLENET_V2_1X, c),
  },
  {
    name: 'se-shufflenetv2-demo',
    description: 'Small SE-ShuffleNetV2 for 28×28 inputs',
    defaults: { ...DEMO, ...base, r: 4 },
    build: (n, c) => buildSeShuffleNetV2(n, SHUFFLENET_V2_DEMO, c),
  },
];

export const ZOO_NAMES = ZOO.map((z) => z.name);

function parseOnOff(key: string, v: string): boolean {
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new ModelError(`Zoo option ${key} must be on or off, got "${v}".`);
}

function parseNumber(key: string, v: string, integer: boolean, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new ModelError(`Zoo option ${key} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${v}".`);
  }
  return n;
}

/** Parses the part after `zoo:` into an entry and a full config. */
export function parseZooSpec(spec: string): { entry: ZooEntry; cfg: ZooConfig; canonical: string } {
  const [name, query = ''] = spec.split('?', 2);
  const entry = ZOO.find((z) => z.name === name);
  if (!entry) throw new ModelError(`Unknown zoo model "${name}"; known: ${ZOO_NAMES.join(', ')}.`);
  const cfg: ZooConfig = { ...entry.defaults, input: [...entry.defaults.input] };
  for (const part of query.split('&').filter(Boolean)) {
    const [key, value = ''] = part.split('=', 2);
    switch (key) {
      case 'input': {
        const dims = value.split('x').map((d) => parseNumber('input', d, true, 1));
        if (dims.length !== 3 || (dims[2] !== 1 && dims[2] !== 3)) {
          throw new ModelError(`Zoo option input must look like 32x32x3 (height x width x 1 or 3 channels), got "${value}".`);
        }
        cfg.input = dims as [number, number, number];
        break;
      }
      case 'classes': cfg.classes = parseNumber(key, value, true, 1); break;
      case 'width': cfg.width = parseNumber(key, value, false, 0.01); break;
      case 'r': cfg.r = parseNumber(key, value, true, 1); break;
      case 'seed': cfg.seed = parseNumber(key, value, true, 0); break;
      case 'se': cfg.se = parseOnOff(key, value); break;
      case 'seBias': cfg.seBias = parseOnOff(key, value); break;
      default:
        throw new ModelError(`Unknown zoo option "${key}"; options: input, classes, width, r, se, seBias, seed.`);
    }
  }
  return { entry, cfg, canonical: `zoo:${spec}` };
}

/** Builds `zoo:<spec>` (spec without the `zoo:` prefix). */
export function buildZooModel(spec: string): Graph {
  const { entry, cfg, canonical } = parseZooSpec(spec);
  let g: Graph;
  try {
    g = entry.build(entry.name, cfg);
  } catch (e) {
    if (e instanceof ModelError) {
      throw new ModelError(`Zoo model ${canonical} cannot be built with these options: ${e.message}`);
    }
    throw e;
  }
  g.meta = { ...g.meta, source: canonical, zoo: { name: entry.name, ...cfg } };
  return g;
}
