/**
 * Finding a Python that can `import torch`, for the torch training engine and the PyTorch export.
 *
 * Candidates, in order: `$SEPRUNE_PYTHON` alone when it is set (the user named their venv or
 * conda Python: nothing else is tried behind their back), else `python3` on PATH, then `python`
 * on PATH, then `/usr/bin/python3` (the system Python, where Debian's python3-torch installs: on
 * machines where PATH's python3 is a pyenv or venv Python without torch, the system one still
 * has it). Each candidate is probed once per process with a short script that reports torch's
 * version, CUDA and MPS availability and the device names; every candidate tried keeps its reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface TorchProbe {
  python: string;
  ok: boolean;
  /** Why this candidate cannot be used, or what it has. */
  reason: string;
  torch?: string;
  numpy?: string;
  cuda?: { available: boolean; version: string | null; devices: string[] };
  mps?: boolean;
}

export interface TorchPython {
  /** The first candidate that imports torch, if any. */
  found?: TorchProbe;
  tried: TorchProbe[];
}

const PROBE = `
import json, sys
out = {"python": sys.version.split()[0]}
try:
    import numpy
    out["numpy"] = numpy.__version__
except Exception as e:
    out["error"] = "numpy cannot be imported (%s)" % e
try:
    import torch
    out["torch"] = torch.__version__
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    out["cuda"] = {"available": n > 0, "version": torch.version.cuda, "devices": [torch.cuda.get_device_name(i) for i in range(n)]}
    out["mps"] = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
except Exception as e:
    out["error"] = "torch cannot be imported (%s: %s)" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
print(json.dumps(out))
`;

function probe(python: string): TorchProbe {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { python, ok: false, reason: code === 'ENOENT' ? 'not found' : `did not start (${r.error.message})` };
  }
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let j: { python?: string; torch?: string; numpy?: string; error?: string; cuda?: TorchProbe['cuda']; mps?: boolean };
  try {
    j = JSON.parse(line) as typeof j;
  } catch {
    return { python, ok: false, reason: `exited with code ${r.status} without answering (${(r.stderr ?? '').trim().split('\n').pop() ?? ''})` };
  }
  if (j.error || !j.torch) return { python, ok: false, reason: `Python ${j.python ?? '?'}: ${j.error ?? 'no torch'}` };
  const devices = j.cuda?.available ? `CUDA ${j.cuda.version} (${j.cuda.devices.join(', ')})` : j.mps ? 'MPS' : 'CPU only';
  return { python, ok: true, reason: `Python ${j.python}, torch ${j.torch}, ${devices}`, torch: j.torch, numpy: j.numpy, cuda: j.cuda, mps: j.mps };
}

/** The candidate list (see the file comment). */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.SEPRUNE_PYTHON) return [env.SEPRUNE_PYTHON];
  const list = ['python3', 'python'];
  if (existsSync('/usr/bin/python3')) list.push('/usr/bin/python3');
  return list;
}

const cache = new Map<string, TorchPython>();

/** Probes the candidates in order until one imports torch (memoised per candidate list). */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env): TorchPython {
  const candidates = pythonCandidates(env);
  const key = candidates.join('\0');
  const hit = cache.get(key);
  if (hit) return hit;
  const tried: TorchProbe[] = [];
  let found: TorchProbe | undefined;
  for (const c of candidates) {
    const p = probe(c);
    tried.push(p);
    if (p.ok) {
      found = p;
      break;
    }
  }
  const r = { ...(found ? { found } : {}), tried };
  cache.set(key, r);
  return r;
}

/** One sentence saying why no candidate can run torch. */
export function noTorchReason(t: TorchPython): string {
  return `no Python with PyTorch was found (${t.tried.map((p) => `${p.python}: ${p.reason}`).join('; ')}); set SEPRUNE_PYTHON to a Python that has torch`;
}
