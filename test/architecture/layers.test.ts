/**
 * The layers, checked on every source file's imports: hosts (CLI, API/Electron, UI) → workflows
 * (each user job once) → core (import, data, engine, train, eval, pruning, export) → base (the IR
 * and its utilities). No import cycle between files, no cycle between areas, no import from a
 * lower layer to a higher one, and hosts reach each other only through the doors listed below.
 * Tests are left out: they wire layers together on purpose. ARCHITECTURE.md says the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');

/** Each layer's areas, lowest first. A source file outside every area fails the test. */
export const LAYERS: readonly { layer: string; areas: readonly string[] }[] = [
  { layer: 'base', areas: ['app/model', 'app/util'] },
  { layer: 'core', areas: ['app/data', 'app/engine', 'app/import', 'app/eval', 'app/train', 'pruning', 'export'] },
  { layer: 'workflows', areas: ['app/workflows'] },
  { layer: 'hosts', areas: ['app/cli', 'app/api', 'main', 'renderer'] },
];

/** The only imports from one host into another, each with its reason. */
const HOST_DOORS: readonly { from: string; to: string; why: string }[] = [
  { from: 'renderer/', to: 'app/api/contract.ts', why: 'the page speaks the API\'s wire contract' },
  { from: 'main/', to: 'app/api/', why: 'Electron\'s main process runs the API service in-process' },
  { from: 'app/cli/commands/serve.ts', to: 'app/api/', why: '`seprune serve` starts the browser host' },
];

const isTest = (f: string) => /\.test\.ts$|(^|\/)test-(support|helpers)\.ts$|(^|\/)fixtures\//.test(f);

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'runtime') walk(p);
      } else if (/\.(ts|mts|mjs|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts') && !isTest(p)) out.push(p);
    }
  };
  for (const d of ['app', 'pruning', 'export', 'main', 'renderer/src']) walk(d);
  return out;
}

/** Relative imports of one file (static, dynamic and type-only), resolved to repository paths. */
function importsOf(file: string, known: Set<string>): string[] {
  let text = readFileSync(join(ROOT, file), 'utf8');
  if (file.endsWith('.svelte')) text = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  const found: string[] = [];
  for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = relative(ROOT, resolve(ROOT, dirname(file), fileName));
    const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`];
    const hit = candidates.find((c) => known.has(c));
    if (hit) found.push(hit);
    else if (!candidates.some((c) => existsSync(join(ROOT, c)))) found.push(`missing:${base}`);
  }
  return found;
}

function areaOf(file: string): { area: string; rank: number } | undefined {
  for (const [rank, l] of LAYERS.entries()) {
    const area = l.areas.find((a) => file === a || file.startsWith(`${a}/`));
    if (area) return { area, rank };
  }
  return undefined;
}

/** Every rule broken by the import graph `edges` (file → imported files). */
export function layerViolations(edges: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [from, tos] of edges) {
    const a = areaOf(from);
    if (!a) {
      bad.push(`${from} lies in no layer's area`);
      continue;
    }
    for (const to of tos) {
      if (to.startsWith('missing:')) {
        bad.push(`${from} imports ${to.slice(8)}, which does not exist`);
        continue;
      }
      const b = areaOf(to);
      if (!b) continue;
      if (b.rank > a.rank) bad.push(`${from} (${LAYERS[a.rank].layer}) imports ${to} (${LAYERS[b.rank].layer}), a higher layer`);
      else if (b.rank === a.rank && LAYERS[a.rank].layer === 'hosts' && a.area !== b.area && !HOST_DOORS.some((d) => from.startsWith(d.from) && to.startsWith(d.to))) {
        bad.push(`${from} imports ${to}: one host reaching into another`);
      }
    }
  }
  for (const c of cycles(edges)) bad.push(`import cycle between files: ${c.join(' → ')}`);
  const areaEdges = new Map<string, string[]>();
  const areaKey = (f: string) => {
    const a = areaOf(f);
    return a && LAYERS[a.rank].layer === 'base' ? 'base' : a?.area;
  };
  for (const [from, tos] of edges) {
    const k = areaKey(from);
    if (!k) continue;
    const list = areaEdges.get(k) ?? [];
    for (const to of tos) {
      const t = areaKey(to);
      if (t && t !== k && !list.includes(t)) list.push(t);
    }
    areaEdges.set(k, list);
  }
  for (const c of cycles(areaEdges)) bad.push(`import cycle between areas: ${c.join(' → ')}`);
  return bad;
}

/** The strongly connected components of more than one node (Tarjan). */
function cycles(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.reverse());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

test('the source tree keeps its layers: no cycles, nothing imports upward, hosts meet only at their doors', () => {
  const files = sourceFiles();
  assert.ok(files.length > 150, `found only ${files.length} source files`);
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, importsOf(f, known)]));
  assert.ok([...edges.values()].reduce((s, t) => s + t.length, 0) > files.length, 'too few imports found: the walk is broken');
  assert.deepEqual(layerViolations(edges), []);
});

test('the layer check catches an upward import, a host reaching into another, and a cycle', () => {
  const edges = new Map<string, string[]>([
    ['app/model/ir.ts', ['pruning/plan.ts']],
    ['pruning/plan.ts', ['app/model/ir.ts']],
    ['app/api/job-work.ts', ['app/cli/data-options.ts']],
    ['app/cli/data-options.ts', []],
    ['renderer/src/App.svelte', ['app/api/contract.ts']],
    ['app/api/contract.ts', []],
    ['tools/odd.ts', []],
  ]);
  const bad = layerViolations(edges);
  assert.ok(bad.some((b) => b.startsWith('app/model/ir.ts (base) imports pruning/plan.ts (core)')), bad.join('\n'));
  assert.ok(bad.some((b) => b.startsWith('app/api/job-work.ts imports app/cli/data-options.ts: one host')), bad.join('\n'));
  assert.ok(bad.some((b) => b.startsWith('import cycle between files: ')), bad.join('\n'));
  assert.ok(bad.some((b) => b.startsWith('import cycle between areas: ')), bad.join('\n'));
  assert.ok(bad.includes('tools/odd.ts lies in no layer\'s area'), bad.join('\n'));
  assert.ok(!bad.some((b) => b.startsWith('renderer/src/App.svelte')), 'the contract door was refused');
});
