"""Training images handed over by the TypeScript side as memory-mapped shards, and augmentation on
the device.

`data.json` lists shards of NHWC images in the order they were sampled: each shard holds `count`
images as codes (uint8 or uint16) into a float32 table of the exact preprocessed values, or as
float32 values when a shard has more than 65,536 distinct values. Codes are looked up on the
device, so a batch crosses to it as 1–2 bytes a pixel and the values are bit-exactly the ones the
TypeScript preprocessing produced. Nothing is read whole: numpy memory-maps every shard.
"""
import json
import os

import numpy as np
import torch


class ShardedImages:
    def __init__(self, folder, device):
        with open(os.path.join(folder, 'data.json')) as f:
            meta = json.load(f)
        self.shape = tuple(meta['shape'])  # H, W, C
        self.per = int(np.prod(self.shape))
        self.classes = meta['classes']
        self.labels = torch.from_numpy(np.fromfile(os.path.join(folder, meta['labels']), dtype='<i4').astype(np.int64)).to(device)
        self.count = int(meta['count'])
        self.device = device
        self.shards = []
        start = 0
        for s in meta['shards']:
            dtype = {'uint8': np.uint8, 'uint16': '<u2', 'float32': '<f4'}[s['dtype']]
            codes = np.memmap(os.path.join(folder, s['file']), dtype=dtype, mode='r', shape=(s['count'], self.per))
            table = None
            if s.get('table'):
                table = torch.from_numpy(np.fromfile(os.path.join(folder, s['table']), dtype='<f4')).to(device)
            self.shards.append((start, s['count'], codes, table))
            start += s['count']
        if start != self.count or self.labels.numel() != self.count:
            raise ValueError('data.json does not match its shards')
        self._starts = np.array([s[0] for s in self.shards], dtype=np.int64)

    def batch(self, positions):
        """Images [n, C, H, W] (float32 on the device) and labels [n] at these positions."""
        positions = np.asarray(positions, dtype=np.int64)
        n = positions.size
        h, w, c = self.shape
        out = torch.empty((n, self.per), dtype=torch.float32, device=self.device)
        which = np.searchsorted(self._starts, positions, side='right') - 1
        for si in np.unique(which):
            start, _, codes, table = self.shards[si]
            sel = np.nonzero(which == si)[0]
            local = positions[sel] - start
            if np.all(np.diff(local) == 1):
                raw = np.array(codes[local[0]:local[-1] + 1])  # one read of a run of images
            else:
                raw = codes[local]
            if raw.dtype == np.dtype('<u2'):  # torch has no uint16: move the bits as int16
                t = torch.from_numpy(np.ascontiguousarray(raw).view('<i2')).to(self.device, non_blocking=True)
                vals = table[t.long() & 0xFFFF]
            else:
                t = torch.from_numpy(np.ascontiguousarray(raw)).to(self.device, non_blocking=True)
                vals = table[t.long()] if table is not None else t
            if sel.size == n:
                out = vals.reshape(n, self.per)
            else:
                out[torch.from_numpy(sel).to(self.device)] = vals.reshape(sel.size, self.per)
        x = out.reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()
        y = self.labels[torch.from_numpy(positions).to(self.device)]
        return x, y


def augment(x, flip, shift, fill, gen):
    """Random horizontal flip (p ½) and RandomCrop(size, padding=shift, fill) of NCHW images."""
    n, c, h, w = x.shape
    dev = x.device
    if flip:
        f = (torch.rand(n, generator=gen) < 0.5).to(dev)
        x = torch.where(f[:, None, None, None], x.flip(3), x)
    if shift > 0:
        dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen).to(dev)
        dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen).to(dev)
        fill_t = torch.tensor([fill[0 if len(fill) == 1 else k] for k in range(c)] if fill else [0.0] * c, dtype=x.dtype, device=dev)
        padded = fill_t[None, :, None, None].repeat(n, 1, h + 2 * shift, w + 2 * shift)
        padded[:, :, shift:shift + h, shift:shift + w] = x
        # Every window of the padded batch as a view [n, c, 2s+1, 2s+1, h, w]; pick one per image.
        windows = padded.unfold(2, h, 1).unfold(3, w, 1)
        x = windows[torch.arange(n, device=dev), :, dy, dx]
    return x
