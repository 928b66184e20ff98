"""The IR graph (app/model/ir.ts) as a torch.nn.Module that computes in NCHW.

Every node kind runs: conv2d (groups, depthwise, dilations, asymmetric pads), batchnorm,
activations (relu, relu6, sigmoid, hard-sigmoid with its alpha/beta, swish, hard-swish, linear),
se, add, concat, split, channel-shuffle, pools (max/avg, windowed with pads or global), dense and
flatten. The IR's NHWC layouts are converted on the way in and back on the way out by pure
transposes, so weights come back bit-exactly. Flatten follows the IR's NHWC order.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def activation(x, fn, alpha=None, beta=None):
    if fn == 'relu':
        return F.relu(x)
    if fn == 'relu6':
        return F.relu6(x)
    if fn == 'sigmoid':
        return torch.sigmoid(x)
    if fn == 'hard-sigmoid':
        a = 1 / 6 if alpha is None else alpha
        b = 0.5 if beta is None else beta
        return torch.clamp(x * a + b, 0, 1)
    if fn == 'swish':
        return x * torch.sigmoid(x)
    if fn == 'hard-swish':
        return x * F.relu6(x + 3) / 6
    if fn == 'linear':
        return x
    raise ValueError(f'unknown activation {fn}')


class SE(nn.Module):
    def __init__(self, attrs, has_b1, has_b2):
        super().__init__()
        self.fc1 = nn.Linear(attrs['channels'], attrs['hidden'], bias=has_b1)
        self.fc2 = nn.Linear(attrs['hidden'], attrs['channels'], bias=has_b2)
        self.attrs = attrs

    def forward(self, x):
        a = self.attrs
        s = activation(self.fc1(x.mean((2, 3))), a['innerAct'])
        z = self.fc2(s)
        g = torch.sigmoid(z) if a['gate'] == 'sigmoid' else torch.clamp(z * a['gateAlpha'] + a['gateBeta'], 0, 1)
        return x * g[:, :, None, None]


def safe_name(name, used):
    base = ''.join(ch if ch.isalnum() or ch == '_' else '_' for ch in name) or 'n'
    if base[0].isdigit():
        base = 'n_' + base
    out, i = base, 1
    while out in used:
        i += 1
        out = f'{base}_{i}'
    used.add(out)
    return out


def _symmetric(pads):
    t, l, b, r = pads
    return t == b and l == r


class IRNet(nn.Module):
    """`graph`: the IR graph dict (weights not needed); load weights with load_ir_weights."""

    def __init__(self, graph):
        super().__init__()
        if len(graph['inputs']) != 1:
            raise ValueError('only single-input models can train')
        self.graph_input = graph['inputs'][0]['name']
        self.graph_outputs = list(graph['outputs'])
        self.layers = nn.ModuleDict()
        self.steps = []
        used = set()
        # The number of channels of every tensor, for the layers' constructors.
        channels = {self.graph_input: graph['inputs'][0]['shape'][2]}
        for node in graph['nodes']:
            kind, a, name = node['kind'], node['attrs'], node['name']
            refs = node.get('weights') or {}
            c_in = channels.get(node['inputs'][0]) if node['inputs'] else None
            key = None
            if kind == 'conv2d':
                kh, kw = a['kernel']
                kin = refs['kernel']['length'] // (kh * kw * a['filters'])
                pads = a['pads']
                conv = nn.Conv2d(kin * a['groups'], a['filters'], (kh, kw), stride=tuple(a['strides']),
                                 padding=(pads[0], pads[1]) if _symmetric(pads) else 0,
                                 dilation=tuple(a['dilations']), groups=a['groups'], bias='bias' in refs)
                key = safe_name(name, used)
                self.layers[key] = conv
                out_c = a['filters']
            elif kind == 'batchnorm':
                key = safe_name(name, used)
                self.layers[key] = nn.BatchNorm2d(refs['gamma']['length'], eps=a['epsilon'], momentum=a['momentum'])
                out_c = refs['gamma']['length']
            elif kind == 'se':
                key = safe_name(name, used)
                self.layers[key] = SE(a, 'fc1Bias' in refs, 'fc2Bias' in refs)
                out_c = a['channels']
            elif kind == 'dense':
                key = safe_name(name, used)
                units = a['units']
                self.layers[key] = nn.Linear(refs['kernel']['length'] // units, units, bias='bias' in refs)
                out_c = units
            elif kind == 'concat':
                out_c = sum(channels[i] for i in node['inputs'])
            elif kind == 'flatten':
                out_c = None
            else:
                out_c = c_in
            if kind == 'split':
                for i, s in enumerate(a['sizes']):
                    channels[f'{name}:{i}'] = s
            else:
                channels[name] = out_c
            self.steps.append((node, key))

    def _run(self, node, key, ins):
        kind, a = node['kind'], node['attrs']
        x = ins[0] if ins else None
        if kind == 'conv2d':
            t, l, b, r = a['pads']
            if not _symmetric(a['pads']):
                x = F.pad(x, (l, r, t, b))
            return [self.layers[key](x)]
        if kind == 'batchnorm':
            if x.dim() == 2:
                return [self.layers[key](x[:, :, None, None])[:, :, 0, 0]]
            return [self.layers[key](x)]
        if kind == 'activation':
            return [activation(x, a['fn'], a.get('alpha'), a.get('beta'))]
        if kind == 'se':
            return [self.layers[key](x)]
        if kind == 'add':
            y = ins[0]
            for o in ins[1:]:
                y = y + o
            return [y]
        if kind == 'concat':
            return [torch.cat(ins, 1) if len(ins) > 1 else ins[0]]
        if kind == 'split':
            return list(torch.split(x, a['sizes'], 1))
        if kind == 'channel-shuffle':
            n, c, h, w = x.shape
            g = a['groups']
            return [x.reshape(n, g, c // g, h, w).transpose(1, 2).reshape(n, c, h, w)]
        if kind == 'pool':
            if a['global']:
                return [x.amax((2, 3), keepdim=True) if a['type'] == 'max' else x.mean((2, 3), keepdim=True)]
            t, l, b, r = a['pads']
            if a['type'] == 'max':
                xp = F.pad(x, (l, r, t, b), value=-math.inf) if t + l + b + r else x
                return [F.max_pool2d(xp, tuple(a['kernel']), tuple(a['strides']))]
            xp = F.pad(x, (l, r, t, b)) if t + l + b + r else x
            y = F.avg_pool2d(xp, tuple(a['kernel']), tuple(a['strides']))
            if a['countIncludePad'] or t + l + b + r == 0:
                return [y]
            ones = F.pad(torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device), (l, r, t, b))
            return [y / F.avg_pool2d(ones, tuple(a['kernel']), tuple(a['strides']))]
        if kind == 'dense':
            if x.dim() == 4:
                x = x.permute(0, 2, 3, 1).flatten(1)
            return [self.layers[key](x)]
        if kind == 'flatten':
            return [x.permute(0, 2, 3, 1).flatten(1) if x.dim() == 4 else x.flatten(1)]
        raise ValueError(f'unknown node kind {kind}')

    def forward(self, x):
        env = {self.graph_input: x}
        for node, key in self.steps:
            outs = self._run(node, key, [env[i] for i in node['inputs']])
            if node['kind'] == 'split':
                for i, o in enumerate(outs):
                    env[f'{node["name"]}:{i}'] = o
            else:
                env[node['name']] = outs[0]
        out = env[self.graph_outputs[0]]
        return out.permute(0, 2, 3, 1) if out.dim() == 4 else out


# (node kind, weight key) -> (module attribute, IR -> torch array, torch -> IR array)
def _conv_in(a, node):
    kh, kw = node['attrs']['kernel']
    out_c = node['attrs']['filters']
    return np.ascontiguousarray(a.reshape(kh, kw, -1, out_c).transpose(3, 2, 0, 1))


def _conv_out(t, node):
    return np.ascontiguousarray(t.transpose(2, 3, 1, 0)).reshape(-1)


def _mat_in(a, node, rows):
    return np.ascontiguousarray(a.reshape(rows, -1).T)


def _mat_out(t, node):
    return np.ascontiguousarray(t.T).reshape(-1)


def _flat(a, node):
    return a.reshape(-1)


def weight_slots(net, node, key):
    """[(IR weight key, torch tensor, to_torch(array), to_ir(array), trainable)] of one node."""
    kind = node['kind']
    layer = net.layers[key]
    refs = node.get('weights') or {}
    out = []
    for k in refs:
        if kind == 'conv2d':
            t = layer.weight if k == 'kernel' else layer.bias
            out.append((k, t, (lambda a, n=node: _conv_in(a, n)) if k == 'kernel' else None, _conv_out if k == 'kernel' else None, True))
        elif kind == 'batchnorm':
            t = {'gamma': layer.weight, 'beta': layer.bias, 'mean': layer.running_mean, 'variance': layer.running_var}[k]
            out.append((k, t, None, None, k in ('gamma', 'beta')))
        elif kind == 'se':
            t = {'fc1': layer.fc1.weight, 'fc1Bias': layer.fc1.bias, 'fc2': layer.fc2.weight, 'fc2Bias': layer.fc2.bias}[k]
            if k in ('fc1', 'fc2'):
                rows = node['attrs']['channels'] if k == 'fc1' else node['attrs']['hidden']
                out.append((k, t, lambda a, n=node, r=rows: _mat_in(a, n, r), _mat_out, True))
            else:
                out.append((k, t, None, None, True))
        elif kind == 'dense':
            if k == 'kernel':
                rows = refs['kernel']['length'] // node['attrs']['units']
                out.append((k, layer.weight, lambda a, n=node, r=rows: _mat_in(a, n, r), _mat_out, True))
            else:
                out.append((k, layer.bias, None, None, True))
    return out


def named_slots(net):
    """[(IR key `node/weight`, tensor, to_torch, to_ir, trainable)] in the IR's weight order."""
    out = []
    for node, key in net.steps:
        if key is None:
            continue
        for k, t, to_t, to_ir, trainable in weight_slots(net, node, key):
            out.append((f'{node["name"]}/{k}', t, to_t, to_ir, trainable))
    return out


def load_ir_weights(net, weights):
    """Copies IR arrays ({node: {key: float32}}) into the module's tensors."""
    with torch.no_grad():
        for ir_key, t, to_t, _, _ in named_slots(net):
            node, k = ir_key.rsplit('/', 1)
            a = weights[node][k]
            a = to_t(a) if to_t else a
            t.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).reshape(t.shape))


def to_ir_array(t, to_ir):
    a = t.detach().to('cpu', torch.float32).contiguous().numpy()
    return to_ir(a, None) if to_ir else a.reshape(-1).copy()


def ir_weights(net):
    """The module's tensors as IR arrays ({node: {key: float32}})."""
    out = {}
    for ir_key, t, _, to_ir, _ in named_slots(net):
        node, k = ir_key.rsplit('/', 1)
        out.setdefault(node, {})[k] = to_ir_array(t, to_ir)
    return out


def build(header, weights):
    net = IRNet(header['graph'])
    load_ir_weights(net, weights)
    return net
