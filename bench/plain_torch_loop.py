#!/usr/bin/env python3
"""The reference for `npm run bench:train`: a plain PyTorch training loop, as a user would write
it, on the same nn.Module the torch engine builds from the IR, with the whole batch set already
in memory as float32 NCHW tensors (no data pipeline, no augmentation, no progress, no checks).

    python3 plain_torch_loop.py MODEL.seprune IMAGES.f32 N THREADS BATCH STEPS

IMAGES.f32: N NHWC float32 images; labels are i % 10. Prints one JSON line: images/s over STEPS
timed steps after 3 warm-up steps (SGD momentum 0.9, weight decay 5e-4, lr 0.01).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'app', 'train', 'torch', 'py'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from seprune_torch.irnet import build  # noqa: E402
from seprune_torch.project_file import read_project  # noqa: E402


def main():
    model, images, n, threads, batch, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(threads)
    header, weights = read_project(model)
    net = build(header, weights)
    h, w, c = header['graph']['inputs'][0]['shape']
    x = torch.from_numpy(np.fromfile(images, dtype='<f4').reshape(n, h, w, c)).permute(0, 3, 1, 2).contiguous()
    y = torch.arange(n) % 10
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    net.train()

    def step(i):
        s = (i * batch) % (n - batch + 1)
        xb, yb = x[s:s + batch], y[s:s + batch]
        loss = F.cross_entropy(net(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(3):
        step(i)
    t0 = time.perf_counter()
    for i in range(steps):
        loss = step(i)
    float(loss)
    dt = time.perf_counter() - t0
    print(json.dumps({'imagesPerSecond': steps * batch / dt, 'seconds': dt, 'threads': torch.get_num_threads()}))


if __name__ == '__main__':
    main()
