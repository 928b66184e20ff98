"""Builds model.py's Model, fills its state_dict from STATE.f32 + STATE.json (the IR's weights in
torch layouts, written by export/pytorch/model-py.ts) and saves it with torch.save.

    python3 save_state.py FOLDER   # FOLDER holds model.py, state.f32, state.json; writes model.pt
"""
import json
import os
import sys

import numpy as np
import torch


def main():
    folder = sys.argv[1]
    sys.path.insert(0, folder)
    from model import Model
    net = Model()
    with open(os.path.join(folder, 'state.json')) as f:
        entries = json.load(f)
    blob = np.fromfile(os.path.join(folder, 'state.f32'), dtype='<f4')
    sd = net.state_dict()
    given = set()
    for e in entries:
        key, shape, off = e['key'], e['shape'], e['offset']
        if key not in sd:
            raise SystemExit(f'model.py has no tensor {key}')
        a = blob[off:off + int(np.prod(shape))].reshape(shape)
        if tuple(sd[key].shape) != tuple(shape):
            raise SystemExit(f'{key}: model.py has shape {tuple(sd[key].shape)}, the weights {tuple(shape)}')
        sd[key] = torch.from_numpy(a.copy())
        given.add(key)
    missing = [k for k in sd if k not in given and not k.endswith('num_batches_tracked')]
    if missing:
        raise SystemExit(f'no weights for {missing}')
    net.load_state_dict(sd)
    torch.save(net.state_dict(), os.path.join(folder, 'model.pt'))


if __name__ == '__main__':
    main()
