#!/usr/bin/env python3
"""Real PyTorch SE networks, trained on Fashion-MNIST and exported with torch.onnx.export.

These are the users' models the product must hold on: written the way timm and torchvision write
them, trained in PyTorch on `Normalize(0.2860, 0.3530)` then zero `Pad(2)` (28 -> 32, the common
MNIST-family recipe: the *normalised* tensor is padded), and exported by the TorchScript exporter
in eval mode, which folds every BatchNorm into its conv.

Networks (1 input channel, 10 classes, 32x32):
  se_resnet18        timm ResNet(BasicBlock, [2,2,2,2], channels=(32,64,128,256), attn_layer='se')
                     (--width scales the channels; timm SEModule: 1x1-conv FCs with bias,
                     rd = make_divisible(C/16, 8))
  mobilenet_v3_small torchvision, first conv 1 channel (hard-sigmoid SE on expanded channels)
  regnety_200mf      torchvision RegNet with pycls's RegNetY-200MF block parameters
  regnet_y_400mf     torchvision regnet_y_400mf, first conv 1 channel
  shufflenet_v2_se   torchvision shufflenet_v2_x0_5 with a torchvision SqueezeExcitation at the
                     end of every unit's branch2 (before concat + shuffle)

Use as a module (`import torchnets; torchnets.build('se_resnet18')`) or from the shell:
  /usr/bin/python3 tools/torchnets.py --net se_resnet18 --epochs 1 --limit 6000 --out DIR
writes DIR/<net>.onnx (opset 13, dynamic batch), DIR/<net>.pt (state_dict) and DIR/<net>.json
(PyTorch's own top-1 on the test split with the same transform, the recipe, params).
Needs Debian's python3-torch and python3-torchvision; numpy; nothing is downloaded.
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
FMNIST_DIRS = ['/usr/share/datasets/fashion-mnist', os.path.join(ROOT, 'app', 'data', 'builtin', 'fashion-mnist')]
FMNIST_LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
MEAN, STD, PAD = 0.2860, 0.3530, 2


def make_divisible(v, divisor=8, min_value=None, round_limit=0.9):
    """timm.layers.helpers.make_divisible."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


class SEModule(nn.Module):
    """timm.layers.squeeze_excite.SEModule (defaults: rd_ratio 1/16, divisor 8, ReLU, sigmoid)."""

    def __init__(self, channels, rd_ratio=1 / 16, rd_divisor=8):
        super().__init__()
        rd = make_divisible(channels * rd_ratio, rd_divisor, round_limit=0.0)
        self.fc1 = nn.Conv2d(channels, rd, kernel_size=1, bias=True)
        self.bn = nn.Identity()
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(rd, channels, kernel_size=1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.fc2(self.act(self.bn(self.fc1(s))))
        return x * s.sigmoid()


class BasicBlock(nn.Module):
    """timm.models.resnet.BasicBlock with attn_layer='se' (the SE after bn2, before the add)."""

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.se = SEModule(planes)
        self.act2 = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.se(self.bn2(self.conv2(x)))
        if self.downsample is not None:
            shortcut = self.downsample(shortcut)
        return self.act2(x + shortcut)


class SEResNet(nn.Module):
    """timm ResNet(BasicBlock, layers, channels, attn_layer='se'): 7x7/2 stem, 3x3/2 max pool."""

    def __init__(self, layers=(2, 2, 2, 2), channels=(32, 64, 128, 256), in_chans=1, num_classes=10):
        super().__init__()
        stem = channels[0]
        self.conv1 = nn.Conv2d(in_chans, stem, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = stem
        for i, (n, planes) in enumerate(zip(layers, channels)):
            stride = 1 if i == 0 else 2
            blocks = []
            for b in range(n):
                down = None
                if b == 0 and (stride != 1 or inplanes != planes):
                    down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                blocks.append(BasicBlock(inplanes, planes, stride if b == 0 else 1, down))
                inplanes = planes
            setattr(self, f'layer{i + 1}', nn.Sequential(*blocks))
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.global_pool(x), 1))


def _first_conv_to(conv, in_chans):
    return nn.Conv2d(in_chans, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=conv.bias is not None)


def build(name, width=32, in_chans=1, num_classes=10, seed=0, small=False):
    """One of the networks named in this file's docstring, freshly initialised.

    small=True: the same architecture at a fraction of its width (tests that train and export in
    seconds): se_resnet18 at width 8, mobilenet_v3_small at width_mult 0.5 (409k parameters; at
    0.25, 118k, its int8 TFLite file is 30.5 % of fp32 even with every filter per-tensor: the int32
    biases and per-tensor tables of so narrow a net, see bench/RESULTS.md), RegNetY with
    w_0 8 / w_a 12 / depth 7, shufflenet_v2_se with stages of 2 units and 16-96 channels.
    """
    import torchvision
    from torchvision.models import regnet as tvregnet
    from torchvision.models import mobilenetv3 as tvmobilenetv3
    from torchvision.models import shufflenetv2 as tvshufflenetv2
    from torchvision.ops import SqueezeExcitation

    torch.manual_seed(seed)
    if name == 'se_resnet18':
        width = 8 if small else width
        return SEResNet(channels=tuple(width * m for m in (1, 2, 4, 8)), in_chans=in_chans, num_classes=num_classes)
    if name == 'mobilenet_v3_small' and small:
        setting, last = tvmobilenetv3._mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.5)
        net = tvmobilenetv3.MobileNetV3(setting, last, num_classes=num_classes)
        net.features[0][0] = _first_conv_to(net.features[0][0], in_chans)
        return net
    if name == 'mobilenet_v3_small':
        net = torchvision.models.mobilenet_v3_small(num_classes=num_classes)
        net.features[0][0] = _first_conv_to(net.features[0][0], in_chans)
        return net
    if name == 'regnet_y_400mf':
        net = torchvision.models.regnet_y_400mf(num_classes=num_classes)
        net.stem[0] = _first_conv_to(net.stem[0], in_chans)
        return net
    if name == 'regnety_200mf':
        depth, w_0, w_a = (7, 8, 12.0) if small else (13, 24, 36.44)
        params = tvregnet.BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=2.49, group_width=8, se_ratio=0.25)
        net = tvregnet.RegNet(params, num_classes=num_classes, stem_width=8 if small else 32)
        net.stem[0] = _first_conv_to(net.stem[0], in_chans)
        return net
    if name == 'shufflenet_v2_se':
        if small:
            net = tvshufflenetv2.ShuffleNetV2([2, 2, 2], [16, 24, 48, 96, 256], num_classes=num_classes)
        else:
            net = torchvision.models.shufflenet_v2_x0_5(num_classes=num_classes)
        net.conv1[0] = _first_conv_to(net.conv1[0], in_chans)
        for stage in (net.stage2, net.stage3, net.stage4):
            for unit in stage:
                c = unit.branch2[-3].out_channels  # the branch's last 1x1 conv (then BN, ReLU)
                unit.branch2.append(SqueezeExcitation(c, make_divisible(c // 4, 8)))
        return net
    raise SystemExit(f'unknown network {name!r}; one of: {", ".join(NETS)}')


NETS = ['se_resnet18', 'mobilenet_v3_small', 'regnety_200mf', 'regnet_y_400mf', 'shufflenet_v2_se']


def read_idx(path, limit=None):
    """An IDX file (plain or .gz) as a numpy array; `limit` keeps the first N items."""
    op = gzip.open if path.endswith('.gz') else open
    with op(path, 'rb') as f:
        magic = struct.unpack('>I', f.read(4))[0]
        ndim = magic & 0xFF
        dims = struct.unpack('>' + 'I' * ndim, f.read(4 * ndim))
        n = dims[0] if limit is None else min(dims[0], limit)
        count = n * int(np.prod(dims[1:])) if ndim > 1 else n
        return np.frombuffer(f.read(count), dtype=np.uint8).reshape((n,) + tuple(dims[1:]))


def fashion_mnist(split, limit=None, data_dir=None):
    """(images uint8 N×28×28, labels int64 N) from Debian's copy, else the bundled subset."""
    prefix = 'train' if split == 'train' else 't10k'
    for d in ([data_dir] if data_dir else FMNIST_DIRS):
        for ext in ('.gz', ''):
            img = os.path.join(d, f'{prefix}-images-idx3-ubyte{ext}')
            lab = os.path.join(d, f'{prefix}-labels-idx1-ubyte{ext}')
            if os.path.exists(img) and os.path.exists(lab):
                return read_idx(img, limit), read_idx(lab, limit).astype(np.int64), d
    raise SystemExit('no Fashion-MNIST found (apt-get install dataset-fashion-mnist)')


def to_input(images_u8):
    """ToTensor, Normalize(MEAN, STD), then Pad(2) with zeros: the normalised tensor is padded."""
    x = torch.from_numpy(np.ascontiguousarray(images_u8)).float().div_(255.0).unsqueeze(1)
    x = (x - MEAN) / STD
    return F.pad(x, (PAD, PAD, PAD, PAD))


def evaluate(net, images, labels, batch=500):
    net.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            out = net(to_input(images[i:i + batch]))
            correct += int((out.argmax(1) == torch.from_numpy(labels[i:i + batch])).sum())
    return correct / max(1, len(images))


def train(net, images, labels, epochs=1, batch=64, lr=0.05, wd=5e-5, seed=0, log=print):
    """SGD + Nesterov, one-cycle cosine, label smoothing 0.1, random flip: a short honest recipe."""
    g = torch.Generator().manual_seed(seed)
    decay = [p for n, p in net.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in net.named_parameters() if p.ndim <= 1]
    opt = torch.optim.SGD([{'params': decay, 'weight_decay': wd}, {'params': no_decay, 'weight_decay': 0}],
                          lr=lr, momentum=0.9, nesterov=True)
    steps = epochs * math.ceil(len(images) / batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
    x_all = to_input(images)
    y_all = torch.from_numpy(labels)
    step = 0
    t0 = time.time()
    for ep in range(epochs):
        net.train()
        order = torch.randperm(len(images), generator=g)
        for i in range(0, len(images), batch):
            idx = order[i:i + batch]
            x = x_all[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5
            x[flip] = x[flip].flip(3)
            loss = F.cross_entropy(net(x), y_all[idx], label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 100 == 0:
                log(f'epoch {ep + 1}/{epochs} step {step}/{steps} loss {loss.item():.4f} '
                    f'{step * batch / (time.time() - t0):.0f} img/s')
    return net


def recalibrate_bn(net, images, batch=250):
    """BatchNorm running statistics as the exact average over `images` (train-mode forward passes,
    no gradients). torchvision's MobileNetV3 keeps momentum 0.01, so a run of a few hundred steps
    leaves its running statistics near their initial values and the eval-mode network constant."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    with torch.no_grad():
        for i in range(0, len(images), batch):
            net(to_input(images[i:i + batch]))
    for m, mo in zip(bns, saved):
        m.momentum = mo
    net.eval()


def export_onnx(net, path, opset=13, size=32, in_chans=1):
    """torch.onnx.export in eval mode (BatchNorm folded into the convs), dynamic batch."""
    net.eval()
    tmp = path + '.tmp'
    torch.onnx.export(net, torch.zeros(1, in_chans, size, size), tmp, opset_version=opset,
                      input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--net', required=True, choices=NETS)
    ap.add_argument('--width', type=int, default=32, help='se_resnet18 stem width (timm: 64)')
    ap.add_argument('--small', action='store_true', help='the same architecture at a fraction of its width (tests)')
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--limit', type=int, default=None, help='training images (default: all)')
    ap.add_argument('--test-limit', type=int, default=None)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=0.05)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--opset', type=int, default=13)
    ap.add_argument('--data-dir', default=None)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    net = build(a.net, width=a.width, seed=a.seed, small=a.small)
    tr_x, tr_y, src = fashion_mnist('train', a.limit, a.data_dir)
    te_x, te_y, _ = fashion_mnist('test', a.test_limit, a.data_dir)
    t0 = time.time()
    if a.epochs > 0:
        train(net, tr_x, tr_y, a.epochs, a.batch, a.lr, seed=a.seed, log=lambda s: print(s, file=sys.stderr))
        if a.small:
            recalibrate_bn(net, tr_x)
    seconds = time.time() - t0
    top1 = evaluate(net, te_x, te_y)
    base = os.path.join(a.out, a.net)
    export_onnx(net, base + '.onnx', a.opset)
    torch.save(net.state_dict(), base + '.pt')
    info = {
        'net': a.net, 'small': a.small, 'width': a.width if a.net == 'se_resnet18' and not a.small else None,
        'params': sum(p.numel() for p in net.parameters()),
        'top1': top1, 'testImages': int(len(te_x)), 'trainImages': int(len(tr_x)), 'epochs': a.epochs,
        'data': src, 'seconds': round(seconds, 1), 'threads': a.threads, 'torch': torch.__version__,
        'transform': f'ToTensor(),Normalize({MEAN},{STD}),Pad({PAD})', 'labels': FMNIST_LABELS,
    }
    with open(base + '.json', 'w') as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info))


if __name__ == '__main__':
    main()
