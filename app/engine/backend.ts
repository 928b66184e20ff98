/**
 * Picks the fastest tfjs backend this machine can load, in order: `@tensorflow/tfjs-node-gpu`
 * (CUDA), `@tensorflow/tfjs-node`, WebGPU in Node (the `webgpu` npm package, i.e. Dawn, plus
 * `@tensorflow/tfjs-backend-webgpu`), then the pure-JS `cpu` backend that always works. None of
 * the optional packages is a dependency; each is tried with a dynamic import and the reason it
 * could not be used is reported (`seprune doctor` prints it).
 *
 * WebGPU on a software adapter (SwiftShader, llvmpipe, WARP…) computes correctly but far slower
 * than the cpu backend, so the automatic choice never takes one; `prefer: 'webgpu'` (the CLI's
 * `--backend webgpu`) does, and then also falls back to Debian chromium's SwiftShader Vulkan
 * driver when no other adapter is found (how the WebGPU tests run without a GPU).
 */
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
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
  /** Loads its packages (registers the backend), or throws; `asked` when it was the preference. */
  load: (asked: boolean) => Promise<string | void>;
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

/** What a WebGPU adapter says about itself (GPUAdapterInfo); every field may be empty. */
export interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/**
 * Names of software rasterisers as adapters report them. Dawn on SwiftShader says vendor
 * "google", architecture "swiftshader", device "swiftshader-device-subzero-", description
 * "SwiftShader driver 5.0.0" and isFallbackAdapter true; Mesa's are llvmpipe / lavapipe /
 * softpipe; Windows' is WARP ("Microsoft Basic Render Driver").
 */
const SOFTWARE_NAMES = [/swiftshader/i, /llvmpipe/i, /lavapipe/i, /softpipe/i, /microsoft basic render/i, /\bwarp\b/i];

/** "google swiftshader (SwiftShader driver 5.0.0)": the adapter in a report. */
export function describeAdapter(info: GpuAdapterInfo): string {
  const name = [info.vendor, info.architecture, info.device].filter((s) => s).join(' ') || 'unnamed adapter';
  return info.description ? `${name} (${info.description})` : name;
}

/** Why `info` is a software adapter (CPU rendering), or null when it looks like a real GPU. */
export function softwareAdapter(info: GpuAdapterInfo): string | null {
  const fields = [info.vendor, info.architecture, info.device, info.description].filter((s): s is string => !!s);
  for (const re of SOFTWARE_NAMES) {
    const hit = fields.find((f) => re.test(f));
    if (hit) return `"${hit}" is a software renderer`;
  }
  return info.isFallbackAdapter ? 'it is a fallback (software) adapter' : null;
}

/**
 * Whether WebGPU on this adapter may be used: a real GPU always, a software one only when asked
 * for (`asked`), since it is correct but slower than the cpu backend.
 */
export function webGpuVerdict(info: GpuAdapterInfo, asked: boolean): { ok: boolean; reason: string } {
  const soft = softwareAdapter(info);
  const adapter = describeAdapter(info);
  if (!soft) return { ok: true, reason: `adapter ${adapter}` };
  if (asked) return { ok: true, reason: `adapter ${adapter}; ${soft}: correct but slow, used because it was asked for` };
  return { ok: false, reason: `adapter ${adapter}: ${soft}, slower than the cpu backend; only --backend webgpu uses it` };
}

/** Debian chromium's SwiftShader Vulkan driver (package chromium) and the Vulkan loader beside it. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const RTLD_NODELETE = 0x1000; // glibc; Node's os.constants.dlopen does not list it

/**
 * Makes `libvulkan.so.1` loadable for Dawn: when the system has none (package libvulkan1) the copy
 * chromium ships next to its SwiftShader driver is loaded and kept, so Dawn's own dlopen of that
 * name finds it. Returns why neither could be loaded, or null.
 */
export function ensureVulkanLoader(icd = SWIFTSHADER_ICD): string | null {
  if (process.platform !== 'linux') return null;
  const flags = osConstants.dlopen.RTLD_NOW | RTLD_NODELETE;
  const tryLoad = (path: string): string | null => {
    try {
      process.dlopen({ exports: {} }, path, flags);
    } catch (e) {
      const msg = firstLine(e);
      // A library that is not a Node addon loads, then fails to register: it is loaded (and kept).
      if (!msg.includes('did not self-register')) return msg;
    }
    return null;
  };
  if (tryLoad('libvulkan.so.1') === null) return null;
  const bundled = join(dirname(icd), 'libvulkan.so.1');
  if (!existsSync(bundled)) return `no Vulkan loader: install libvulkan1, or chromium for ${bundled}`;
  return tryLoad(bundled);
}

/**
 * Points the Vulkan loader at SwiftShader when VK_ICD_FILENAMES is unset and the driver is
 * installed. Returns a sentence naming what is missing, or null.
 */
export function useSwiftShader(icd = SWIFTSHADER_ICD): string | null {
  if (!process.env.VK_ICD_FILENAMES) {
    if (!existsSync(icd)) return `SwiftShader's Vulkan driver ${icd} is missing (apt package chromium)`;
    process.env.VK_ICD_FILENAMES = icd;
  }
  return ensureVulkanLoader(icd);
}

interface NodeGpu {
  requestAdapter(o?: { powerPreference?: string }): Promise<NodeGpuAdapter | null>;
}
interface NodeGpuAdapter {
  info?: GpuAdapterInfo;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfo>;
}

async function adapterInfo(a: NodeGpuAdapter): Promise<GpuAdapterInfo> {
  const info = a.info ?? (a.requestAdapterInfo ? await a.requestAdapterInfo() : {});
  const { vendor, architecture, device, description } = info;
  return { vendor, architecture, device, description, isFallbackAdapter: info.isFallbackAdapter ?? a.isFallbackAdapter };
}

/** Dawn's WebGPU for Node: `navigator.gpu` and the GPU* globals tfjs-backend-webgpu expects. */
async function createNodeGpu(): Promise<NodeGpu> {
  const mod = await load('webgpu');
  const create = mod.create as ((flags: string[]) => NodeGpu) | undefined;
  const globals = mod.globals as Record<string, unknown> | undefined;
  if (typeof create !== 'function') throw new Error('webgpu loaded but has no create()');
  if (globals) Object.assign(globalThis, globals);
  return create([]);
}

function installNavigatorGpu(gpu: NodeGpu): void {
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

/**
 * Finds the adapter tfjs-backend-webgpu will take (high-performance), refuses a software one
 * unless `asked`, and exposes its GPU as `navigator.gpu`. Returns the adapter for the report.
 */
async function installNodeWebGpu(asked: boolean): Promise<string> {
  ensureVulkanLoader();
  let gpu = await createNodeGpu();
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  let swiftShaderProblem: string | null = null;
  if (!adapter && asked && !process.env.VK_ICD_FILENAMES) {
    swiftShaderProblem = useSwiftShader();
    if (!swiftShaderProblem) {
      gpu = await createNodeGpu();
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    }
  }
  if (!adapter) {
    const vk = process.env.VK_ICD_FILENAMES ? `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : 'no GPU driver found';
    throw new Error(`Dawn found no WebGPU adapter (${vk}${swiftShaderProblem ? `; ${swiftShaderProblem}` : ''})`);
  }
  const verdict = webGpuVerdict(await adapterInfo(adapter), asked);
  if (!verdict.ok) throw new Error(verdict.reason);
  installNavigatorGpu(gpu);
  return verdict.reason;
}

const CANDIDATES: Candidate[] = [
  { name: 'tfjs-node-gpu', backend: 'tensorflow', load: async () => void (await load('@tensorflow/tfjs-node-gpu')) },
  { name: 'tfjs-node', backend: 'tensorflow', load: async () => void (await load('@tensorflow/tfjs-node')) },
  {
    name: 'webgpu',
    backend: 'webgpu',
    load: async (asked) => {
      const adapter = await installNodeWebGpu(asked);
      await load('@tensorflow/tfjs-backend-webgpu');
      return adapter;
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

async function tryCandidate(c: Candidate, asked: boolean): Promise<BackendAttempt> {
  try {
    const note = await c.load(asked);
    if (!tf.findBackendFactory(c.backend)) return { name: c.name, ok: false, reason: `loaded but registered no "${c.backend}" backend` };
    const ok = await tf.setBackend(c.backend);
    if (!ok) return { name: c.name, ok: false, reason: `the "${c.backend}" backend failed to initialise` };
    const bad = await smokeTest();
    if (bad) return { name: c.name, ok: false, reason: `the "${c.backend}" backend ${bad}` };
    return { name: c.name, ok: true, reason: c.name === 'cpu' ? 'pure JavaScript, always available' : `using tfjs backend "${c.backend}"${note ? ` on ${note}` : ''}` };
  } catch (e) {
    return { name: c.name, ok: false, reason: firstLine(e) };
  }
}

/**
 * Sets the tfjs backend to the first candidate that works and reports every one tried.
 * `prefer` (one of {@link BACKEND_NAMES}) is tried first; the usual order follows it. WebGPU on a
 * software adapter is taken only when preferred (see {@link webGpuVerdict}).
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
    const r = await tryCandidate(c, c.name === prefer);
    tried.push(r);
    if (r.ok) return { name: c.name, tried };
  }
  // cpu is always a candidate and has nothing to load; reaching here means tfjs itself is broken.
  throw new Error(`no tfjs backend works: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}`);
}
