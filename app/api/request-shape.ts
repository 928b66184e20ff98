/**
 * The shape every api request must have before a handler sees it: an HTTP body (or an IPC
 * argument) is anything a client sends, and a handler that reads `req.fold.mode` on `{}` fails
 * with a TypeError, which a host can only report as a bug. Each method's fields are listed with
 * their JSON type (values are checked by the service itself); a request that does not fit is a
 * UserError naming the first field that is wrong. Both hosts (HTTP, Electron IPC) check with it.
 */
import { UserError } from '../model/errors.js';
import type { ApiMethod } from './contract.js';

type Kind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'number[]';
/** A field's kind, `?` before it for optional, `|null` after it when null is allowed; or a nested shape. */
type Field = `${'' | '?'}${Kind}${'' | '|null'}` | Shape;
interface Shape {
  [field: string]: Field;
}

const PREPROCESS: Shape = { channels: 'number', mean: 'number[]', std: 'number[]', steps: '?array', resize: '?number', centerCrop: '?number', pad: '?number' };
const DATA: Shape = { data: 'string', split: 'string', limit: 'number', seed: 'number', preprocess: PREPROCESS, labelsByIndex: '?boolean' };
const PRUNE: Shape = {
  modelId: 'string',
  criterion: 'string',
  target: { targetMacs: '?number', targetParams: '?number', ratio: '?number' },
  residual: 'string',
  roundTo: 'number',
  minChannels: 'number',
  fold: { mode: 'string', constant: 'number', identity: 'number' },
  steps: '?number',
  ignore: '?array',
  recalibrate: '?boolean',
  perStage: '?object',
  evalSplit: '?string',
  evalLimit: '?number',
  finetuneImages: '?number',
};

/** null: the method takes no request (its body may be empty or null). */
export const REQUEST_SHAPES: Record<ApiMethod, Shape | null> = {
  version: null,
  listZoo: null,
  listCriteria: null,
  modelFormats: null,
  exportFormats: null,
  trainBackend: null,
  recentFiles: null,
  sessionModels: null,
  openModel: { model: 'string' },
  runStats: { modelId: 'string', ...DATA },
  previewPrune: PRUNE,
  prune: PRUNE,
  undo: { modelId: 'string' },
  cancelJob: { jobId: 'string' },
  compare: { modelIds: 'array', data: DATA, latency: '?boolean' },
  exportModel: { modelId: 'string', outDir: 'string', targets: 'array', data: DATA, force: 'boolean', tfliteIo: '?string' },
  finetune: {
    modelId: 'string',
    data: DATA,
    epochs: 'number',
    batchSize: 'number',
    lr: 'number|null',
    optimizer: 'string',
    teacherId: 'string|null',
    evalLimit: 'number',
    engine: '?string',
    device: '?string',
    schedule: '?string',
    temperature: '?number',
  },
  blockStats: { modelId: 'string', block: 'string' },
  browse: { path: '?string', kind: 'string', hidden: '?boolean' },
  previewPreprocessing: { data: 'string', split: 'string', preprocess: PREPROCESS, index: '?number', modelId: '?string' },
  forgetRecent: { path: 'string', kind: 'string' },
  saveProject: { modelId: 'string', path: 'string', force: 'boolean' },
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'array':
      return Array.isArray(v);
    case 'number[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'object':
      return isObj(v);
    default:
      return typeof v === kind;
  }
}

const NOUN: Record<Kind, string> = { string: 'a string', number: 'a number', boolean: 'true or false', array: 'a list', object: 'an object', 'number[]': 'a list of numbers' };

function checkShape(shape: Shape, v: Record<string, unknown>, path: string, method: string): void {
  for (const [k, f] of Object.entries(shape)) {
    const at = path ? `${path}.${k}` : k;
    const value = v[k];
    if (typeof f === 'object') {
      if (!isObj(value)) throw new UserError(`The ${method} request needs ${at} as an object.`);
      checkShape(f, value, at, method);
      continue;
    }
    const optional = f.startsWith('?');
    const nullable = f.endsWith('|null');
    const kind = f.replace(/^\?/, '').replace(/\|null$/, '') as Kind;
    if (value === undefined && optional) continue;
    if (value === null && nullable) continue;
    if (!fits(kind, value)) throw new UserError(`The ${method} request needs ${at} as ${NOUN[kind]}${nullable ? ' or null' : ''}.`);
  }
}

/** Throws a UserError unless `body` has the shape `method` takes; returns it typed as the handler's request. */
export function checkRequest(method: ApiMethod, body: unknown): unknown {
  const shape = REQUEST_SHAPES[method];
  if (shape === null) return undefined;
  if (!isObj(body)) throw new UserError(`The ${method} request must be a JSON object.`);
  checkShape(shape, body, '', method);
  return body;
}
