"""Runs an exported PyTorch folder (model.py + model.pt) for verification, the way a user loads
it: `Model()`, `load_state_dict(torch.load('model.pt'))`, eval mode. Reads requests on stdin —
a line with N, then N NHWC float32 images — and answers each with a line holding the number of
float32 values, then those values (the first output; 4-D outputs as NHWC).

    python3 serve.py FOLDER H W C
"""
import os
import sys

import numpy as np
import torch


def main():
    folder, h, w, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sys.path.insert(0, folder)
    from model import Model
    net = Model()
    net.load_state_dict(torch.load(os.path.join(folder, 'model.pt')))
    net.eval()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(b'ready\n')
    out.flush()
    while True:
        line = inp.readline()
        if not line:
            return
        n = int(line)
        raw = inp.read(n * h * w * c * 4)
        x = torch.from_numpy(np.frombuffer(raw, dtype='<f4').reshape(n, h, w, c).copy()).permute(0, 3, 1, 2)
        with torch.no_grad():
            y = net(x)
            if isinstance(y, (tuple, list)):
                y = y[0]
            if y.dim() == 4:
                y = y.permute(0, 2, 3, 1)
        data = y.contiguous().numpy().astype('<f4').tobytes()
        out.write(f'{len(data) // 4}\n'.encode())
        out.write(data)
        out.flush()


if __name__ == '__main__':
    main()
