/** Byte-level mutations shared by the structure-aware mutators (for the parts that are raw bytes). */
import type { Rng } from '../../../app/model/random.js';

/** Interesting integers: zero, signs, powers of two at their edges, the largest int32 and more. */
export const EDGE_INTS = [0, -1, 1, 2, 3, 7, 255, 256, 65535, 65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 53, 1e9, -7];
export const EDGE_NUMBERS = [...EDGE_INTS, 0.5, -0.5, 1e-30, 1e30, Number.MAX_VALUE, Number.NaN, Infinity, -Infinity];

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** Flips, truncates, inserts or overwrites a few bytes of a copy of `src`. */
export function mutateBytes(src: Uint8Array, rng: Rng): Uint8Array {
  const kind = rng.int(4);
  if (src.length === 0 || kind === 0) {
    const at = rng.int(src.length + 1);
    const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
    const out = new Uint8Array(src.length + ins.length);
    out.set(src.subarray(0, at));
    out.set(ins, at);
    out.set(src.subarray(at), at + ins.length);
    return out;
  }
  if (kind === 1) return src.slice(0, rng.int(src.length));
  const out = src.slice();
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const at = rng.int(out.length);
    out[at] = kind === 2 ? out[at] ^ (1 << rng.int(8)) : pick(rng, [0, 0xff, 0x7f, 0x80, rng.int(256)]);
  }
  return out;
}

/** A JSON value of a different type than usual, for header/attribute fields. */
export function oddValue(rng: Rng): unknown {
  return pick(rng, [null, 'x', '', -1, 0, 1.5, 1e12, [], [0], [-1, -1], {}, true, { a: 1 }, [null], Number.MAX_SAFE_INTEGER, 'NaN']);
}

/** Replaces one random leaf (or subtree) of a parsed JSON value; returns the path it changed. */
export function mutateJson(root: unknown, rng: Rng, exclude: (path: string) => boolean = () => false): string {
  const paths: { parent: Record<string, unknown> | unknown[]; key: string | number; path: string }[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > 12 || v === null || typeof v !== 'object') return;
    const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v as Record<string, unknown>);
    for (const [k, x] of entries) {
      const p = `${path}.${k}`;
      if (exclude(p)) continue;
      paths.push({ parent: v as Record<string, unknown>, key: k, path: p });
      if (paths.length < 20000) walk(x, p, depth + 1);
    }
  };
  walk(root, '', 0);
  if (paths.length === 0) return 'nothing to change';
  const t = pick(rng, paths);
  const parent = t.parent as Record<string | number, unknown>;
  const old = parent[t.key];
  const r = rng.int(5);
  if (r === 0 && Array.isArray(t.parent)) {
    (t.parent as unknown[]).splice(t.key as number, 1);
    return `${t.path} removed`;
  }
  if (r === 0) {
    delete parent[t.key];
    return `${t.path} removed`;
  }
  if (r === 1 && typeof old === 'number') parent[t.key] = pick(rng, EDGE_NUMBERS.filter(Number.isFinite));
  else if (r === 2 && Array.isArray(old)) parent[t.key] = rng.int(2) ? [...old, ...old] : old.slice(0, rng.int(old.length + 1));
  else parent[t.key] = oddValue(rng);
  return `${t.path} → ${JSON.stringify(parent[t.key])?.slice(0, 40)}`;
}
