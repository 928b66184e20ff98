#!/usr/bin/env python3
"""The torch module's outputs for a batch of images, for parity checks against other runtimes.

    python3 forward.py MODEL.seprune IMAGES.f32 N OUT.f32 [--train]
    python3 forward.py LIST.json      # [{"model", "images", "n", "out", "train"}, ...] in one start

IMAGES.f32: N NHWC images as little-endian float32 (the IR's layout). OUT.f32: the first graph
output (logits [N, K]) in eval mode, or with --train in training mode (batch statistics).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from seprune_torch.irnet import build  # noqa: E402
from seprune_torch.project_file import read_project  # noqa: E402


def run(model, images, n, out, train):
    header, weights = read_project(model)
    net = build(header, weights)
    h, w, c = header['graph']['inputs'][0]['shape']
    x = torch.from_numpy(np.fromfile(images, dtype='<f4').reshape(int(n), h, w, c)).permute(0, 3, 1, 2).contiguous()
    net.train(train)
    with torch.no_grad():
        y = net(x)
    y.numpy().astype('<f4').tofile(out)


def main():
    if len(sys.argv) == 2:
        import json
        with open(sys.argv[1]) as f:
            for j in json.load(f):
                run(j['model'], j['images'], j['n'], j['out'], j.get('train', False))
    else:
        run(*sys.argv[1:5], '--train' in sys.argv[5:])


if __name__ == '__main__':
    main()
