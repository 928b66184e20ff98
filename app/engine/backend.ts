/**
 * Picks the fastest tfjs backend this machine can load, in order: `@tensorflow/tfjs-node-gpu`
 * (CUDA), `@tensorflow/tfjs-node`, WebGPU in Node (the `webgpu` npm package, i.e. Dawn, plus
 * `@tensorflow/tfjs-backend-webgpu`), then the pure-JS `cpu` backend that always works. None of
 * the optional packages is a dependency; each is tried with a dynamic import and the reason it
 * could not be used is reported (`seprune doctor` prints it).
 */
import { UserError } from '../model/errors.js';
import { tf } from './tf.js';

export interface BackendAttempt {
  name: string;
  ok: boolean;
  reason: string;
}

interface Candidate {
  /** Name in reports and for `prefer`. */
  name: string;
  /** The tfjs backend it registers. */
  backend: string;
  /** Loads its packages (registers the backend), or throws. */
  load: () => Promise<void>;
}

/** import() of a package that may be absent; the specifier is a variable so no bundler or type checker needs it. */
async function importOptional(spec: string): Promise<Record<string, unknown>> {
  return (await import(spec)) as Record<string, unknown>;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
}

/** "package not installed" when `spec` itself is missing; otherwise the load error's first line. */
function describeLoadError(e: unknown, spec: string): string {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = firstLine(e);
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && msg.includes(`'${spec}'`)) {
    return `${spec} is not installed`;
  }
  return `${spec} failed to load: ${msg}`;
}

async function load(spec: string): Promise<Record<string, unknown>> {
  try {
    return await importOptional(spec);
  } catch (e) {
    throw new Error(describeLoadError(e, spec));
  }
}

/** Dawn's WebGPU for Node: expose `navigator.gpu` and the GPU* globals tfjs-backend-webgpu expects. */
async function installNodeWebGpu(): Promise<void> {
  const mod = await load('webgpu');
  const create = mod.create as ((flags: string[]) => unknown) | undefined;
  const globals = mod.globals as Record<string, unknown> | undefined;
  if (typeof create !== 'function') throw new Error('webgpu loaded but has no create()');
  if (globals) Object.assign(globalThis, globals);
  const gpu = create([]);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) {
    try {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    } catch {
      throw new Error('navigator.gpu cannot be set in this runtime');
    }
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

const CANDIDATES: Candidate[] = [
  { name: 'tfjs-node-gpu', backend: 'tensorflow', load: async () => void (await load('@tensorflow/tfjs-node-gpu')) },
  { name: 'tfjs-node', backend: 'tensorflow', load: async () => void (await load('@tensorflow/tfjs-node')) },
  {
    name: 'webgpu',
    backend: 'webgpu',
    load: async () => {
      await installNodeWebGpu();
      await load('@tensorflow/tfjs-backend-webgpu');
    },
  },
  { name: 'cpu', backend: 'cpu', load: async () => {} },
];

export const BACKEND_NAMES = CANDIDATES.map((c) => c.name);

/** Runs a tiny op to make sure the backend computes, not just registers. */
async function smokeTest(): Promise<string | null> {
  const t = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.tensor1d([10, 20, 30])));
  try {
    const v = await t.data();
    return v[0] === 11 && v[1] === 22 && v[2] === 33 ? null : `computed ${Array.from(v).join(',')} for 1+10,2+20,3+30`;
  } finally {
    t.dispose();
  }
}

async function tryCandidate(c: Candidate): Promise<BackendAttempt> {
  try {
    await c.load();
    if (!tf.findBackendFactory(c.backend)) return { name: c.name, ok: false, reason: `loaded but registered no "${c.backend}" backend` };
    const ok = await tf.setBackend(c.backend);
    if (!ok) return { name: c.name, ok: false, reason: `the "${c.backend}" backend failed to initialise` };
    const bad = await smokeTest();
    if (bad) return { name: c.name, ok: false, reason: `the "${c.backend}" backend ${bad}` };
    return { name: c.name, ok: true, reason: c.name === 'cpu' ? 'pure JavaScript, always available' : `using tfjs backend "${c.backend}"` };
  } catch (e) {
    return { name: c.name, ok: false, reason: firstLine(e) };
  }
}

/**
 * Sets the tfjs backend to the first candidate that works and reports every one tried.
 * `prefer` (one of {@link BACKEND_NAMES}) is tried first; the usual order follows it.
 */
export async function chooseBackend(prefer?: string): Promise<{ name: string; tried: BackendAttempt[] }> {
  let order = CANDIDATES;
  if (prefer !== undefined) {
    const p = CANDIDATES.find((c) => c.name === prefer);
    if (!p) throw new UserError(`Unknown backend "${prefer}"; choose one of ${BACKEND_NAMES.join(', ')}.`);
    order = [p, ...CANDIDATES.filter((c) => c !== p)];
  }
  const tried: BackendAttempt[] = [];
  for (const c of order) {
    const r = await tryCandidate(c);
    tried.push(r);
    if (r.ok) return { name: c.name, tried };
  }
  // cpu is always a candidate and has nothing to load; reaching here means tfjs itself is broken.
  throw new Error(`no tfjs backend works: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}`);
}
