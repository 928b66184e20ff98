/**
 * Reads a torchvision transform list as a PyTorch user writes it — `Resize(36), CenterCrop(32),
 * ToTensor(), Normalize((0.5,), (0.5,)), Pad(2)`, with or without `transforms.` / `T.` prefixes,
 * `Compose([...])` around it, keyword arguments, tuples, `InterpolationMode.BICUBIC` — or as JSON
 * (a list of steps in this project's form, or of {"name": ..., "args": ...} objects), into the
 * pipeline type. Each mistake is one sentence naming the step.
 */
import type { Interpolation, PaddingMode, TransformStep } from '../model/transform.js';
import { UserError } from '../model/errors.js';

type Value = number | string | boolean | null | Value[] | { ident: string };

interface Call {
  name: string;
  args: Value[];
  kwargs: Record<string, Value>;
  text: string;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  ws(): void {
    while (this.i < this.s.length && /[\s]/.test(this.s[this.i])) this.i++;
  }

  peek(): string {
    this.ws();
    return this.s[this.i] ?? '';
  }

  eat(ch: string): boolean {
    if (this.peek() === ch) {
      this.i++;
      return true;
    }
    return false;
  }

  ident(): string | undefined {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(this.s.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  value(): Value {
    const c = this.peek();
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      this.i++;
      const items: Value[] = [];
      while (!this.eat(close)) {
        items.push(this.value());
        if (!this.eat(',') && this.peek() !== close) throw new Error(`expected "," or "${close}"`);
      }
      return items;
    }
    if (c === '"' || c === "'") {
      const end = this.s.indexOf(c, this.i + 1);
      if (end < 0) throw new Error('a string is not closed');
      const v = this.s.slice(this.i + 1, end);
      this.i = end + 1;
      return v;
    }
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(this.s.slice(this.i));
    if (m) {
      this.i += m[0].length;
      return Number(m[0]);
    }
    const id = this.ident();
    if (id === 'True') return true;
    if (id === 'False') return false;
    if (id === 'None') return null;
    if (id) return { ident: id };
    throw new Error(`unexpected "${this.s.slice(this.i, this.i + 10)}"`);
  }

  call(): Call {
    const start = this.i;
    const name = this.ident();
    if (!name) throw new Error(`expected a transform name at "${this.s.slice(this.i, this.i + 20).trim()}"`);
    const args: Value[] = [];
    const kwargs: Record<string, Value> = {};
    if (!this.eat('(')) throw new Error(`${name} needs parentheses, e.g. ${name.split('.').pop()}()`);
    while (!this.eat(')')) {
      const save = this.i;
      const key = this.ident();
      if (key && this.eat('=')) kwargs[key] = this.value();
      else {
        this.i = save;
        args.push(this.value());
      }
      if (!this.eat(',') && this.peek() !== ')') throw new Error(`expected "," or ")" in ${name.split('.').pop()}(...)`);
    }
    return { name: name.split('.').pop()!, args, kwargs, text: this.s.slice(start, this.i).trim() };
  }

  /** A list of calls, optionally inside Compose([...]) and/or [...]. */
  calls(): Call[] {
    const save = this.i;
    const id = this.ident();
    let composed = false;
    if (id && id.split('.').pop() === 'Compose') {
      if (!this.eat('(')) throw new Error('Compose needs parentheses');
      composed = true;
    } else this.i = save;
    const bracket = this.eat('[');
    const out: Call[] = [];
    while (this.peek() !== '' && this.peek() !== ']' && this.peek() !== ')') {
      out.push(this.call());
      if (!this.eat(',')) break;
    }
    if (bracket && !this.eat(']')) throw new Error('the list is not closed with "]"');
    if (composed && !this.eat(')')) throw new Error('Compose( is not closed with ")"');
    if (this.peek() !== '') throw new Error(`unexpected "${this.s.slice(this.i, this.i + 20)}"`);
    return out;
  }
}

const INTERP_BY_INT: Record<number, Interpolation> = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming' };
const INTERPS: Interpolation[] = ['nearest', 'bilinear', 'bicubic', 'box', 'hamming', 'lanczos'];
const PAD_MODES: PaddingMode[] = ['constant', 'edge', 'reflect', 'symmetric'];

function isNum(v: Value | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function nums(v: Value | undefined): number[] | undefined {
  if (isNum(v)) return [v];
  if (Array.isArray(v) && v.length > 0 && v.every(isNum)) return v;
  return undefined;
}

function interpolation(v: Value | undefined): Interpolation | undefined {
  if (v === undefined || v === null) return 'bilinear';
  if (typeof v === 'number') return INTERP_BY_INT[v];
  const name = (typeof v === 'string' ? v : typeof v === 'object' && !Array.isArray(v) ? v.ident.split('.').pop()! : '').toLowerCase();
  if (name === 'antialias') return 'lanczos';
  return INTERPS.find((m) => m === name);
}

/** Positional + keyword arguments by torchvision's parameter names. */
function bind(c: Call, names: string[]): Record<string, Value | undefined> {
  if (c.args.length > names.length) throw new UserError(`${c.text}: ${c.name} takes at most ${names.length} positional argument${names.length === 1 ? '' : 's'}.`);
  const out: Record<string, Value | undefined> = {};
  c.args.forEach((a, i) => (out[names[i]] = a));
  for (const [k, v] of Object.entries(c.kwargs)) {
    if (!names.includes(k)) throw new UserError(`${c.text}: ${c.name} has no argument "${k}" (it takes ${names.join(', ')}).`);
    if (out[k] !== undefined) throw new UserError(`${c.text}: "${k}" is given twice.`);
    out[k] = v;
  }
  return out;
}

function toStep(c: Call): TransformStep {
  const bad = (why: string): never => {
    throw new UserError(`${c.text}: ${why}.`);
  };
  switch (c.name) {
    case 'Resize': {
      const a = bind(c, ['size', 'interpolation', 'max_size', 'antialias']);
      const size = nums(a.size);
      if (!size || size.length > 2 || !size.every((s) => Number.isInteger(s) && s > 0)) bad('the size must be a positive whole number or (height, width)');
      const interp = interpolation(a.interpolation);
      if (!interp) bad(`unknown interpolation (use InterpolationMode.${INTERPS.map((m) => m.toUpperCase()).join(', .')})`);
      const step: TransformStep = { op: 'Resize', size: size!.length === 1 ? size![0] : [size![0], size![1]], interpolation: interp! };
      if (a.max_size !== undefined && a.max_size !== null) {
        if (!isNum(a.max_size)) bad('max_size must be a number');
        step.maxSize = a.max_size as number;
      }
      if (a.antialias !== undefined && a.antialias !== null && a.antialias !== 'warn') {
        if (typeof a.antialias !== 'boolean') bad('antialias must be True or False');
        step.antialias = a.antialias as boolean;
      }
      return step;
    }
    case 'CenterCrop': {
      const a = bind(c, ['size']);
      const s = nums(a.size);
      if (!s || s.length > 2 || !s.every((v) => Number.isInteger(v) && v > 0)) bad('the size must be a positive whole number or (height, width)');
      return { op: 'CenterCrop', size: s!.length === 1 ? [s![0], s![0]] : [s![0], s![1]] };
    }
    case 'Pad': {
      const a = bind(c, ['padding', 'fill', 'padding_mode']);
      const p = nums(a.padding);
      if (!p || ![1, 2, 4].includes(p.length) || !p.every((v) => Number.isInteger(v) && v >= 0)) bad('padding must be one whole number ≥ 0, (left/right, top/bottom) or (left, top, right, bottom)');
      const padding: [number, number, number, number] = p!.length === 1 ? [p![0], p![0], p![0], p![0]] : p!.length === 2 ? [p![0], p![1], p![0], p![1]] : [p![0], p![1], p![2], p![3]];
      const fill = a.fill === undefined || a.fill === null ? [0] : nums(a.fill);
      if (!fill) bad('fill must be a number or a tuple of numbers');
      const mode = a.padding_mode === undefined ? 'constant' : a.padding_mode;
      if (typeof mode !== 'string' || !PAD_MODES.includes(mode as PaddingMode)) bad(`padding_mode must be one of ${PAD_MODES.map((m) => `'${m}'`).join(', ')}`);
      return { op: 'Pad', padding, fill: fill!.length === 1 && !Array.isArray(a.fill) ? fill![0] : fill!, paddingMode: mode as PaddingMode };
    }
    case 'Grayscale': {
      const a = bind(c, ['num_output_channels']);
      const n = a.num_output_channels ?? 1;
      if (n !== 1 && n !== 3) bad('num_output_channels must be 1 or 3');
      return { op: 'Grayscale', numOutputChannels: n as 1 | 3 };
    }
    case 'ToTensor':
      bind(c, []);
      return { op: 'ToTensor' };
    case 'Normalize': {
      const a = bind(c, ['mean', 'std', 'inplace']);
      const mean = nums(a.mean);
      const std = nums(a.std);
      if (!mean || !std) bad('Normalize needs mean and std, each a number or a tuple of numbers');
      if (!std!.every((v) => v > 0)) bad('std values must be above 0');
      return { op: 'Normalize', mean: mean!, std: std! };
    }
    default:
      if (/^Random|^(ColorJitter|RandAugment|AutoAugment|TrivialAugmentWide|AugMix)$/.test(c.name)) {
        throw new UserError(`${c.text}: ${c.name} is a training-time augmentation; give the evaluation transform (Resize, CenterCrop, Pad, Grayscale, ToTensor, Normalize).`);
      }
      throw new UserError(`${c.text}: ${c.name} is not a supported step (supported: Resize, CenterCrop, Pad, Grayscale, ToTensor, Normalize).`);
  }
}

/** Parses a torchvision transform list (see the file comment). */
export function parseTransform(text: string): TransformStep[] {
  let calls: Call[];
  try {
    calls = new Parser(text).calls();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`Cannot read the transform "${text.trim().slice(0, 80)}": ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (calls.length === 0) throw new UserError('The transform is empty: give steps such as "ToTensor(), Normalize(0.5, 0.5)".');
  return calls.map(toStep);
}

const OPS = ['Resize', 'CenterCrop', 'Pad', 'Grayscale', 'ToTensor', 'Normalize'];

/**
 * A transform file: JSON — a list of this project's steps ({"op": "Pad", ...}), an object with
 * "steps" (a stored preprocessing) or "transform" (the text form) — else the text form itself.
 */
export function parseTransformFile(text: string, file: string): TransformStep[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return parseTransform(text);
  }
  if (typeof json === 'string') return parseTransform(json);
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if (typeof o.transform === 'string') return parseTransform(o.transform);
    json = o.steps;
  }
  if (!Array.isArray(json)) throw new UserError(`${file} holds neither a list of steps nor {"steps": [...]} nor {"transform": "..."}.`);
  return json.map((s, i) => {
    if (!s || typeof s !== 'object' || !OPS.includes((s as { op?: string }).op ?? '')) {
      throw new UserError(`${file}: step ${i + 1} has no "op" among ${OPS.join(', ')}.`);
    }
    // Re-read through the text form so a file gets the same checks and defaults as --transform.
    return parseTransform(stepToCall(s as Record<string, unknown>))[0];
  });
}

function lit(v: unknown): string {
  if (Array.isArray(v)) return `(${v.map(lit).join(', ')}${v.length === 1 ? ',' : ''})`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

function stepToCall(s: Record<string, unknown>): string {
  const kw: [string, unknown][] = [];
  const map: Record<string, string> = { maxSize: 'max_size', paddingMode: 'padding_mode', numOutputChannels: 'num_output_channels' };
  for (const [k, v] of Object.entries(s)) {
    if (k === 'op' || v === undefined) continue;
    kw.push([map[k] ?? k, k === 'interpolation' && typeof v === 'string' ? { ident: v } : v]);
  }
  return `${String(s.op)}(${kw.map(([k, v]) => `${k}=${v && typeof v === 'object' && 'ident' in v ? `'${(v as { ident: string }).ident}'` : lit(v)}`).join(', ')})`;
}
