"""The trainer's checkpoint folder (app/train/checkpoint.ts), written and read the same way:
`epoch-N.seprune`, `epoch-N.optimizer.bin` (float32 slots in IR layout keyed
`momentum:node/w`, `m:node/w`, `v:node/w`) and last, atomically, `checkpoint.json` naming both.
Either engine can therefore resume the other's checkpoint.
"""
import datetime
import json
import os
import re

import numpy as np

from .project_file import write_atomic, write_project

CHECKPOINT_JSON = 'checkpoint.json'


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def exists(folder):
    return os.path.exists(os.path.join(folder, CHECKPOINT_JSON))


def save(folder, header, weights, slots, steps, epoch, config, history, project):
    os.makedirs(folder, exist_ok=True)
    model = f'epoch-{epoch}.seprune'
    state_file = f'epoch-{epoch}.optimizer.bin'
    h = {'format': 'seprune', 'graph': header['graph'], 'history': [{'step': 'checkpoint', 'at': now(), 'details': {'epoch': epoch}}]}
    for k in ('preprocessing', 'labels'):
        if project.get(k) is not None:
            h[k] = project[k]
    write_project(os.path.join(folder, model), h, weights)
    entries, parts, offset = [], [], 0
    for key, a in slots:
        a = np.ascontiguousarray(a, dtype='<f4').reshape(-1)
        entries.append({'key': key, 'offset': offset, 'length': int(a.size)})
        offset += a.size
        parts.append(a.tobytes())
    write_atomic(os.path.join(folder, state_file), b''.join(parts))
    meta = {'format': 'seprune-checkpoint', 'version': 1, 'epoch': epoch, 'config': config, 'model': model,
            'optimizerState': state_file, 'optimizerSteps': steps, 'slots': entries, 'history': history, 'at': now()}
    write_atomic(os.path.join(folder, CHECKPOINT_JSON), json.dumps(meta, indent=1).encode('utf-8'))
    for f in os.listdir(folder):
        m = re.match(r'^epoch-(\d+)\.(seprune|optimizer\.bin)$', f)
        if m and int(m.group(1)) != epoch:
            os.remove(os.path.join(folder, f))


def load(folder):
    """(meta, model path, {slot key: float32 array})."""
    with open(os.path.join(folder, CHECKPOINT_JSON)) as f:
        meta = json.load(f)
    if meta.get('format') != 'seprune-checkpoint' or meta.get('version') != 1:
        raise ValueError(f'{folder}/{CHECKPOINT_JSON} is not a checkpoint this version writes')
    floats = np.fromfile(os.path.join(folder, meta['optimizerState']), dtype='<f4')
    slots = {}
    for s in meta['slots']:
        if s['offset'] + s['length'] > floats.size:
            raise ValueError(f'the optimiser state in {folder} is truncated')
        slots[s['key']] = floats[s['offset']:s['offset'] + s['length']].copy()
    return meta, os.path.join(folder, meta['model']), slots
