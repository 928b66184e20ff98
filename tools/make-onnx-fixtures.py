#!/usr/bin/env python3
"""Writes the ONNX importer's test fixtures (app/import/fixtures/*.onnx).

No PyTorch here, so each graph is built by hand with onnx.helper in the node patterns that
torch.onnx.export emits for the model family named (node and value names, op spellings per
opset, BN folded into convs as the TorchScript exporter does in eval mode, Shape/Gather/Concat
chains for dynamic-batch reshapes). Random weights, small widths, 32x32 inputs, batch dynamic.

Run:  /usr/bin/python3 tools/make-onnx-fixtures.py   (Debian python3-onnx 1.12 + numpy)
"""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', 'app', 'import', 'fixtures')


class Builder:
    """Collects nodes and initializers; `ts` naming mimics the TorchScript exporter, else dynamo."""

    def __init__(self, seed, opset, dynamo=False):
        self.rng = np.random.default_rng(seed)
        self.opset = opset
        self.dynamo = dynamo
        self.nodes = []
        self.inits = []
        self.count = 0
        self.names = set()

    def uid(self):
        self.count += 1
        return self.count

    def init(self, name, arr):
        if name is None:
            name = f'onnx::Const_{self.uid()}'
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def const_node(self, value, scope=''):
        """A Constant node (both exporters emit these for small literals)."""
        arr = np.asarray(value)
        if self.dynamo:
            name = f'node_Constant_{self.uid()}'
            out = f'val_{self.count}'
        else:
            name = f'{scope}/Constant_{self.uid()}'
            out = f'{name}_output_0'
        self.nodes.append(helper.make_node('Constant', [], [out], name=name, value=numpy_helper.from_array(arr)))
        return out

    def node(self, op, inputs, scope='', n_out=1, **attrs):
        k = self.uid()
        if self.dynamo:
            name = f'node_{op}_{k}'
            outs = [f'{op.lower()}_{k}' + (f'_{i}' if n_out > 1 else '') for i in range(n_out)]
        else:
            base = f'{scope}/{op}'
            name = base if base not in self.names else f'{base}_{k}'
            outs = [f'{name}_output_{i}' for i in range(n_out)]
        self.names.add(name)
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def weight(self, shape, fan_in, name=None, gain=2.0):
        return self.init(name, (self.rng.standard_normal(shape) * np.sqrt(gain / fan_in)).astype(np.float32))

    def vec(self, n, std=0.1, mean=0.0, name=None):
        return self.init(name, (mean + std * self.rng.standard_normal(n)).astype(np.float32))

    def conv(self, x, cin, cout, k, scope, s=1, p=None, g=1, bias=True, pname=None):
        p = k // 2 if p is None else p
        w = self.weight((cout, cin // g, k, k), cin // g * k * k, name=f'{pname}.weight' if pname else None)
        ins = [x, w]
        if bias:
            ins.append(self.vec(cout, name=f'{pname}.bias' if pname else None))
        return self.node('Conv', ins, scope, dilations=[1, 1], group=g, kernel_shape=[k, k], pads=[p, p, p, p], strides=[s, s])

    def bn(self, x, c, scope, pname):
        gamma = self.init(f'{pname}.weight', self.rng.uniform(0.5, 1.2, c).astype(np.float32))
        beta = self.vec(c, 0.1, name=f'{pname}.bias')
        mean = self.vec(c, 0.2, name=f'{pname}.running_mean')
        var = self.init(f'{pname}.running_var', self.rng.uniform(0.5, 2.0, c).astype(np.float32))
        return self.node('BatchNormalization', [x, gamma, beta, mean, var], scope, epsilon=1e-5, momentum=0.9)

    def gemm(self, x, cin, cout, scope, pname=None):
        w = self.weight((cout, cin), cin, name=f'{pname}.weight' if pname else None, gain=1.0)
        return self.node('Gemm', [x, w, self.vec(cout, name=f'{pname}.bias' if pname else None)], scope, alpha=1.0, beta=1.0, transB=1)

    def save(self, fname, graph_name, x_name, c, hw, out, classes):
        x = helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ['batch_size' if not self.dynamo else 's0', c, hw, hw])
        y = helper.make_tensor_value_info(out, TensorProto.FLOAT, ['batch_size' if not self.dynamo else 's0', classes])
        g = helper.make_graph(self.nodes, graph_name, [x], [y], self.inits)
        producer = ('pytorch', '2.5.0')
        m = helper.make_model(g, opset_imports=[helper.make_opsetid('', self.opset)], producer_name=producer[0], producer_version=producer[1])
        m.ir_version = 8
        if self.opset <= 17:
            onnx.checker.check_model(m)
        path = os.path.join(OUT, fname)
        onnx.save(m, path)
        print(f'{fname}: {os.path.getsize(path)} bytes, {len(self.nodes)} nodes')


# ---------------------------------------------------------------------------------------------
def se_resnet():
    """(a) legacy SENet SEResNetBlock (basic), TorchScript opset 13: BN folded into convs, SE as
    GlobalAveragePool → fc1 Conv1x1+bias → Relu → fc2 Conv1x1+bias → Sigmoid → Mul(module_input, x),
    stem MaxPool with ceil_mode, head x.view(x.size(0), -1) as a Shape/Gather/Unsqueeze/Concat chain."""
    b = Builder(1, 13)
    x = b.conv('input', 3, 16, 3, '/layer0/conv1')
    x = b.node('Relu', [x], '/layer0/relu1')
    x = b.node('MaxPool', [x], '/layer0/pool', ceil_mode=1, kernel_shape=[3, 3], pads=[0, 0, 0, 0], strides=[2, 2])
    cin = 16
    for li, (cout, stride) in enumerate([(16, 1), (32, 2)], start=1):
        for bi in range(2):
            s = stride if bi == 0 else 1
            sc = f'/layer{li}/layer{li}.{bi}'
            pn = f'layer{li}.{bi}'
            r = x
            h = b.conv(x, cin, cout, 3, f'{sc}/conv1', s=s)
            h = b.node('Relu', [h], f'{sc}/relu')
            h = b.conv(h, cout, cout, 3, f'{sc}/conv2')
            # SEModule: module_input * sigmoid(fc2(relu(fc1(avg_pool(x)))))
            z = b.node('GlobalAveragePool', [h], f'{sc}/se_module/avg_pool')
            z = b.conv(z, cout, cout // 4, 1, f'{sc}/se_module/fc1', p=0, pname=f'{pn}.se_module.fc1')
            z = b.node('Relu', [z], f'{sc}/se_module/relu')
            z = b.conv(z, cout // 4, cout, 1, f'{sc}/se_module/fc2', p=0, pname=f'{pn}.se_module.fc2')
            z = b.node('Sigmoid', [z], f'{sc}/se_module/sigmoid')
            h = b.node('Mul', [h, z], f'{sc}/se_module')
            if s != 1 or cin != cout:
                r = b.conv(x, cin, cout, 1, f'{sc}/downsample/downsample.0', s=s, p=0)
            h = b.node('Add', [h, r], sc)
            x = b.node('Relu', [h], f'{sc}/relu_1')
            cin = cout
    x = b.node('GlobalAveragePool', [x], '/avg_pool')
    shape = b.node('Shape', [x], '')
    n = b.node('Gather', [shape, b.const_node(np.array(0, dtype=np.int64))], '', axis=0)
    n = b.node('Unsqueeze', [n, b.const_node(np.array([0], dtype=np.int64))], '')
    target = b.node('Concat', [n, b.const_node(np.array([-1], dtype=np.int64))], '', axis=0)
    x = b.node('Reshape', [x, target], '')
    x = b.gemm(x, cin, 10, '/last_linear', 'last_linear')
    b.save('se-resnet-ts13.onnx', 'main_graph', 'input', 3, 32, x, 10)


# ---------------------------------------------------------------------------------------------
def mobilenetv3(opset):
    """(b) timm MobileNetV3: opset 14 uses HardSwish and HardSigmoid ops; opset 13 spells timm's
    hard_sigmoid as Add 3 → Clip(0, 6) → Div 6 and hard_swish as x * relu6(x + 3) / 6 or
    Mul(x, HardSigmoid(x)). SE: ReduceMean(2, 3, keepdims) → conv_reduce → Relu → conv_expand → gate."""
    b = Builder(2 if opset >= 14 else 3, opset)

    def clip6(v, scope):
        return b.node('Clip', [v, b.const_node(np.array(0, np.float32), scope), b.const_node(np.array(6, np.float32), scope)], scope)

    def hswish(v, scope, style=0):
        if opset >= 14:
            return b.node('HardSwish', [v], scope)
        if style == 0:  # torch's symbolic at opset 13
            hs = b.node('HardSigmoid', [v], scope, alpha=1.0 / 6, beta=0.5)
            return b.node('Mul', [v, hs], scope)
        t = b.node('Add', [v, b.const_node(np.array(3, np.float32), scope)], scope)
        t = clip6(t, scope)
        t = b.node('Mul', [v, t], scope)
        return b.node('Div', [t, b.const_node(np.array(6, np.float32), scope)], scope)

    def hsigmoid(v, scope):
        if opset >= 14:
            return b.node('HardSigmoid', [v], scope, alpha=1.0 / 6, beta=0.5)
        t = b.node('Add', [v, b.const_node(np.array(3, np.float32), scope)], scope)
        t = clip6(t, scope)
        return b.node('Div', [t, b.const_node(np.array(6, np.float32), scope)], scope)

    def se(v, c, rd, sc):
        z = b.node('ReduceMean', [v], f'{sc}/se', axes=[2, 3], keepdims=1)
        z = b.conv(z, c, rd, 1, f'{sc}/se/conv_reduce', p=0)
        z = b.node('Relu', [z], f'{sc}/se/act1')
        z = b.conv(z, rd, c, 1, f'{sc}/se/conv_expand', p=0)
        z = hsigmoid(z, f'{sc}/se/gate')
        return b.node('Mul', [v, z], f'{sc}/se')

    x = b.conv('x', 3, 16, 3, '/conv_stem', s=2)
    x = hswish(x, '/act1')
    # blocks.0: DepthwiseSeparableConv with SE
    sc = '/blocks/blocks.0/blocks.0.0'
    h = b.conv(x, 16, 16, 3, f'{sc}/conv_dw', g=16)
    h = b.node('Relu', [h], f'{sc}/bn1/act')
    h = se(h, 16, 8, sc)
    h = b.conv(h, 16, 16, 1, f'{sc}/conv_pw', p=0)
    x = b.node('Add', [h, x], sc)
    cin = 16
    cfg = [(1, 0, 48, 24, 2, 1, True), (2, 0, 64, 32, 2, 1, True), (2, 1, 96, 32, 1, 2, True), (3, 0, 96, 40, 1, 2, False)]
    for si, bi, exp, cout, s, style, use_se in cfg:
        sc = f'/blocks/blocks.{si}/blocks.{si}.{bi}'
        h = b.conv(x, cin, exp, 1, f'{sc}/conv_pw', p=0)
        h = hswish(h, f'{sc}/bn1/act', style)
        h = b.conv(h, exp, exp, 3, f'{sc}/conv_dw', s=s, g=exp)
        h = hswish(h, f'{sc}/bn2/act', style)
        if use_se:
            h = se(h, exp, exp // 4, sc)
        h = b.conv(h, exp, cout, 1, f'{sc}/conv_pwl', p=0)
        x = b.node('Add', [h, x], sc) if s == 1 and cin == cout else h
        cin = cout
    x = b.conv(x, cin, 64, 1, '/blocks/blocks.4/blocks.4.0/conv', p=0)
    x = hswish(x, '/blocks/blocks.4/blocks.4.0/bn1/act')
    x = b.node('GlobalAveragePool', [x], '/global_pool/pool')
    x = b.conv(x, 64, 96, 1, '/conv_head', p=0)
    x = hswish(x, '/act2')
    x = b.node('Flatten', [x], '/flatten', axis=1)
    x = b.gemm(x, 96, 10, '/classifier', 'classifier')
    b.save(f'mobilenetv3-ts{opset}.onnx', 'main_graph', 'x', 3, 32, x, 10)


# ---------------------------------------------------------------------------------------------
def regnety():
    """(c) timm RegNetY: Bottleneck = conv1 1x1 → grouped conv2 3x3 (group width 8) → SE
    (ReduceMean keepdims, fc1/fc2 Conv1x1 with bias, ReLU, Sigmoid; hidden from the block input
    width) → conv3 1x1, shortcut conv when downsampling, Add, ReLU."""
    b = Builder(4, 13)
    x = b.conv('input', 3, 16, 3, '/stem/conv/conv', s=2)
    x = b.node('Relu', [x], '/stem/conv/bn/act')
    cin = 16
    for si, (w, s, depth) in enumerate([(24, 2, 1), (48, 2, 2)], start=1):
        for bi in range(depth):
            st = s if bi == 0 else 1
            sc = f'/s{si}/b{bi + 1}'
            h = b.conv(x, cin, w, 1, f'{sc}/conv1/conv', p=0)
            h = b.node('Relu', [h], f'{sc}/conv1/bn/act')
            h = b.conv(h, w, w, 3, f'{sc}/conv2/conv', s=st, g=w // 8)
            h = b.node('Relu', [h], f'{sc}/conv2/bn/act')
            rd = max(1, int(round(cin * 0.25)))
            z = b.node('ReduceMean', [h], f'{sc}/se', axes=[2, 3], keepdims=1)
            z = b.conv(z, w, rd, 1, f'{sc}/se/fc1', p=0)
            z = b.node('Relu', [z], f'{sc}/se/act')
            z = b.conv(z, rd, w, 1, f'{sc}/se/fc2', p=0)
            z = b.node('Sigmoid', [z], f'{sc}/se/gate')
            h = b.node('Mul', [h, z], f'{sc}/se')
            h = b.conv(h, w, w, 1, f'{sc}/conv3/conv', p=0)
            r = b.conv(x, cin, w, 1, f'{sc}/downsample/conv', s=st, p=0) if (st != 1 or cin != w) else x
            h = b.node('Add', [h, r], sc)
            x = b.node('Relu', [h], f'{sc}/act3')
            cin = w
    x = b.node('GlobalAveragePool', [x], '/head/global_pool/pool')
    x = b.node('Flatten', [x], '/head/global_pool/flatten', axis=1)
    x = b.gemm(x, cin, 10, '/head/fc', 'head.fc')
    b.save('regnety-ts13.onnx', 'main_graph', 'input', 3, 32, x, 10)


# ---------------------------------------------------------------------------------------------
def shufflenet_se():
    """(d) torchvision ShuffleNetV2 with an SE block at the end of branch2: x.chunk(2, dim=1) as
    Split (sizes input, opset 13), Concat, channel_shuffle as Reshape [N, 2, C/2, H, W] →
    Transpose(0, 2, 1, 3, 4) → Reshape [N, C, H, W] with the batch size from Shape/Gather, and
    the head's x.mean([2, 3]) as ReduceMean keepdims=0."""
    b = Builder(5, 13)

    def shuffle(v, c, hw, sc):
        shp = b.node('Shape', [v], sc)
        n = b.node('Gather', [shp, b.const_node(np.array(0, np.int64), sc)], sc, axis=0)
        n = b.node('Unsqueeze', [n, b.const_node(np.array([0], np.int64), sc)], sc)
        cpg = b.node('Gather', [shp, b.const_node(np.array(1, np.int64), sc)], sc, axis=0)
        cpg = b.node('Div', [cpg, b.const_node(np.array(2, np.int64), sc)], sc)
        cpg = b.node('Unsqueeze', [cpg, b.const_node(np.array([0], np.int64), sc)], sc)
        rest = b.const_node(np.array([2], np.int64), sc)
        hw_c = b.const_node(np.array([hw, hw], np.int64), sc)
        t1 = b.node('Concat', [n, rest, cpg, hw_c], sc, axis=0)
        v = b.node('Reshape', [v, t1], sc)
        v = b.node('Transpose', [v], sc, perm=[0, 2, 1, 3, 4])
        t2 = b.node('Concat', [n, b.const_node(np.array([c, hw, hw], np.int64), sc)], sc, axis=0)
        return b.node('Reshape', [v, t2], sc)

    def se(v, c, sc):
        z = b.node('GlobalAveragePool', [v], f'{sc}/se/avgpool')
        z = b.conv(z, c, c // 4, 1, f'{sc}/se/fc1', p=0)
        z = b.node('Relu', [z], f'{sc}/se/relu')
        z = b.conv(z, c // 4, c, 1, f'{sc}/se/fc2', p=0)
        z = b.node('Sigmoid', [z], f'{sc}/se/sigmoid')
        return b.node('Mul', [z, v], f'{sc}/se')  # scale * input (operands swapped)

    def branch2(v, cin, bf, s, sc):
        h = b.conv(v, cin, bf, 1, f'{sc}/branch2/branch2.0', p=0)
        h = b.node('Relu', [h], f'{sc}/branch2/branch2.2')
        h = b.conv(h, bf, bf, 3, f'{sc}/branch2/branch2.3', s=s, g=bf)
        h = b.conv(h, bf, bf, 1, f'{sc}/branch2/branch2.5', p=0)
        h = b.node('Relu', [h], f'{sc}/branch2/branch2.7')
        return se(h, bf, f'{sc}/branch2')

    x = b.conv('input', 3, 16, 3, '/conv1/conv1.0', s=2)
    x = b.node('Relu', [x], '/conv1/conv1.2')
    x = b.node('MaxPool', [x], '/maxpool', ceil_mode=0, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    cin, hw = 16, 8
    for si, (cout, reps) in enumerate([(32, 2), (64, 2)], start=2):
        bf = cout // 2
        for bi in range(reps):
            sc = f'/stage{si}/stage{si}.{bi}'
            if bi == 0:
                hw //= 2
                l = b.conv(x, cin, cin, 3, f'{sc}/branch1/branch1.0', s=2, g=cin)
                l = b.conv(l, cin, bf, 1, f'{sc}/branch1/branch1.2', p=0)
                l = b.node('Relu', [l], f'{sc}/branch1/branch1.4')
                r = branch2(x, cin, bf, 2, sc)
            else:
                l, r0 = b.node('Split', [x, b.const_node(np.array([bf, bf], np.int64), sc)], sc, n_out=2, axis=1)
                r = branch2(r0, bf, bf, 1, sc)
            x = b.node('Concat', [l, r], sc, axis=1)
            x = shuffle(x, cout, hw, sc)
            cin = cout
    x = b.conv(x, cin, 128, 1, '/conv5/conv5.0', p=0)
    x = b.node('Relu', [x], '/conv5/conv5.2')
    x = b.node('ReduceMean', [x], '', axes=[2, 3], keepdims=0)
    x = b.gemm(x, 128, 10, '/fc', 'fc')
    b.save('shufflenetv2-se-ts13.onnx', 'main_graph', 'input', 3, 32, x, 10)


# ---------------------------------------------------------------------------------------------
def efficientnet_dynamo():
    """(e) dynamo exporter, opset 18: BatchNormalization kept, SiLU as Sigmoid + Mul, ReduceMean
    with axes as an input, Split with sizes as an input, Unsqueeze axes input, Linear as Gemm;
    EfficientNet MBConv with SE reducing from the block input width, one SE spelled with Gemm
    (ReduceMean keepdims=0 → Gemm → SiLU → Gemm → Sigmoid → Unsqueeze [2, 3])."""
    b = Builder(6, 18, dynamo=True)

    def silu(v):
        return b.node('Mul', [v, b.node('Sigmoid', [v])])

    def axes(*a):
        return b.init(f'val_axes_{b.uid()}', np.array(a, np.int64))

    x = b.conv('x', 3, 16, 3, '', s=2, bias=False, pname='conv_stem')
    x = silu(b.bn(x, 16, '', 'bn1'))
    cin = 16
    for i, (exp, cout, s, gemm_se) in enumerate([(64, 24, 2, False), (96, 24, 1, True), (96, 40, 2, False)]):
        pn = f'blocks.{i}.0'
        h = b.conv(x, cin, exp, 1, '', p=0, bias=False, pname=f'{pn}.conv_pw')
        h = silu(b.bn(h, exp, '', f'{pn}.bn1'))
        h = b.conv(h, exp, exp, 3, '', s=s, g=exp, bias=False, pname=f'{pn}.conv_dw')
        h = silu(b.bn(h, exp, '', f'{pn}.bn2'))
        rd = cin // 4
        if gemm_se:
            z = b.node('ReduceMean', [h, axes(2, 3)], keepdims=0)
            z = b.gemm(z, exp, rd, '', f'{pn}.se.fc1')
            z = silu(z)
            z = b.gemm(z, rd, exp, '', f'{pn}.se.fc2')
            z = b.node('Sigmoid', [z])
            z = b.node('Unsqueeze', [z, axes(2, 3)])
        else:
            z = b.node('ReduceMean', [h, axes(2, 3)], keepdims=1)
            z = b.conv(z, exp, rd, 1, '', p=0, pname=f'{pn}.se.conv_reduce')
            z = silu(z)
            z = b.conv(z, rd, exp, 1, '', p=0, pname=f'{pn}.se.conv_expand')
            z = b.node('Sigmoid', [z])
        h = b.node('Mul', [h, z])
        h = b.conv(h, exp, cout, 1, '', p=0, bias=False, pname=f'{pn}.conv_pwl')
        h = b.bn(h, cout, '', f'{pn}.bn3')
        x = b.node('Add', [h, x]) if s == 1 and cin == cout else h
        cin = cout
    # A channel split with unequal sizes given as an input, rejoined (exercises Split at opset 18).
    a, c = b.node('Split', [x, b.init('val_split', np.array([16, 24], np.int64))], n_out=2, axis=1)
    a = b.node('Relu', [a])
    x = b.node('Concat', [c, a], axis=1)
    x = b.conv(x, cin, 96, 1, '', p=0, bias=False, pname='conv_head')
    x = silu(b.bn(x, 96, '', 'bn2'))
    x = b.node('ReduceMean', [x, axes(-1, -2)], keepdims=1)
    x = b.node('Reshape', [x, b.init('val_shape', np.array([-1, 96], np.int64))])
    x = b.gemm(x, 96, 10, '', 'classifier')
    b.save('efficientnet-dynamo18.onnx', 'main_graph', 'x', 3, 32, x, 10)




# ---------------------------------------------------------------------------------------------
# TF.js layers model (Keras 2 topology) with two SE spellings, plus a numpy reference output.
def keras_se():
    import json
    rng = np.random.default_rng(7)
    folder = os.path.join(OUT, 'keras-se')
    os.makedirs(folder, exist_ok=True)
    layers, manifest, blobs, W = [], [], [], {}

    def add(cls, name, inputs, **cfg):
        cfg['name'] = name
        cfg.setdefault('trainable', True)
        cfg.setdefault('dtype', 'float32')
        inbound = [[[i, 0, 0, {}] for i in inputs]] if inputs else []
        layers.append({'class_name': cls, 'config': cfg, 'name': name, 'inbound_nodes': inbound})
        return name

    def weight(lname, key, arr, quant=None):
        arr = np.asarray(arr, np.float32)
        entry = {'name': f'{lname}/{key}', 'shape': list(arr.shape), 'dtype': 'float32'}
        if quant == 'uint8':
            lo, hi = float(arr.min()), float(arr.max())
            scale = (hi - lo) / 255
            q = np.round((arr - lo) / scale).astype(np.uint8)
            entry['quantization'] = {'dtype': 'uint8', 'scale': scale, 'min': lo, 'original_dtype': 'float32'}
            blobs.append(q.tobytes())
            arr = (q.astype(np.float64) * scale + lo).astype(np.float32)
        elif quant == 'float16':
            h = arr.astype(np.float16)
            entry['quantization'] = {'dtype': 'float16', 'original_dtype': 'float32'}
            blobs.append(h.tobytes())
            arr = h.astype(np.float32)
        else:
            blobs.append(arr.astype('<f4').tobytes())
        manifest.append(entry)
        W[f'{lname}/{key}'] = arr
        return arr

    def rn(*shape, gain=2.0):
        fan = int(np.prod(shape[:-1]))
        return rng.standard_normal(shape) * np.sqrt(gain / fan)

    conv_cfg = dict(data_format='channels_last', dilation_rate=[1, 1], groups=1, kernel_initializer={'class_name': 'GlorotUniform', 'config': {'seed': None}})
    add('InputLayer', 'input_1', [], batch_input_shape=[None, 16, 16, 3], sparse=False, ragged=False)
    add('Conv2D', 'conv1', ['input_1'], filters=8, kernel_size=[3, 3], strides=[2, 2], padding='same', activation='linear', use_bias=False, **conv_cfg)
    weight('conv1', 'kernel', rn(3, 3, 3, 8))
    add('BatchNormalization', 'bn1', ['conv1'], axis=[3], momentum=0.99, epsilon=0.001, center=True, scale=True)
    weight('bn1', 'gamma', rng.uniform(0.5, 1.2, 8))
    weight('bn1', 'beta', rng.standard_normal(8) * 0.1)
    weight('bn1', 'moving_mean', rng.standard_normal(8) * 0.2)
    weight('bn1', 'moving_variance', rng.uniform(0.5, 2, 8))
    add('ReLU', 'relu1', ['bn1'], max_value=6.0, negative_slope=0.0, threshold=0.0)
    add('DepthwiseConv2D', 'dw', ['relu1'], kernel_size=[3, 3], strides=[1, 1], padding='same', depth_multiplier=1, activation='swish', use_bias=True, data_format='channels_last', dilation_rate=[1, 1])
    weight('dw', 'depthwise_kernel', rn(3, 3, 8, 1) * 0.5)
    weight('dw', 'bias', rng.standard_normal(8) * 0.1)
    add('GlobalAveragePooling2D', 'se1_squeeze', ['dw'], data_format='channels_last', keepdims=False)
    add('Reshape', 'se1_reshape', ['se1_squeeze'], target_shape=[1, 1, 8])
    add('Dense', 'se1_fc1', ['se1_reshape'], units=4, activation='relu', use_bias=True)
    weight('se1_fc1', 'kernel', rn(8, 4))
    weight('se1_fc1', 'bias', rng.standard_normal(4) * 0.1)
    add('Dense', 'se1_fc2', ['se1_fc1'], units=8, activation='hard_sigmoid', use_bias=True)
    weight('se1_fc2', 'kernel', rn(4, 8) * 2)
    weight('se1_fc2', 'bias', rng.standard_normal(8) * 0.5)
    add('Multiply', 'se1_excite', ['dw', 'se1_fc2'])
    add('Conv2D', 'pw', ['se1_excite'], filters=8, kernel_size=[1, 1], strides=[1, 1], padding='valid', activation='linear', use_bias=True, **conv_cfg)
    weight('pw', 'kernel', rn(1, 1, 8, 8), quant='uint8')
    weight('pw', 'bias', rng.standard_normal(8) * 0.1)
    add('Add', 'add1', ['pw', 'relu1'])
    add('Conv2D', 'conv2', ['add1'], filters=16, kernel_size=[3, 3], strides=[2, 2], padding='same', activation='relu', use_bias=True, **conv_cfg)
    weight('conv2', 'kernel', rn(3, 3, 8, 16))
    weight('conv2', 'bias', rng.standard_normal(16) * 0.1)
    add('GlobalAveragePooling2D', 'se2_squeeze', ['conv2'], data_format='channels_last', keepdims=True)
    add('Conv2D', 'se2_reduce', ['se2_squeeze'], filters=4, kernel_size=[1, 1], strides=[1, 1], padding='valid', activation='linear', use_bias=True, **conv_cfg)
    weight('se2_reduce', 'kernel', rn(1, 1, 16, 4))
    weight('se2_reduce', 'bias', rng.standard_normal(4) * 0.1)
    add('Activation', 'se2_relu', ['se2_reduce'], activation='relu')
    add('Conv2D', 'se2_expand', ['se2_relu'], filters=16, kernel_size=[1, 1], strides=[1, 1], padding='valid', activation='linear', use_bias=True, **conv_cfg)
    weight('se2_expand', 'kernel', rn(1, 1, 4, 16), quant='float16')
    weight('se2_expand', 'bias', rng.standard_normal(16) * 0.1)
    add('Activation', 'se2_gate', ['se2_expand'], activation='sigmoid')
    add('Multiply', 'se2_excite', ['se2_gate', 'conv2'])
    add('MaxPooling2D', 'pool', ['add1'], pool_size=[2, 2], strides=[2, 2], padding='valid', data_format='channels_last')
    add('Concatenate', 'concat', ['se2_excite', 'pool'], axis=-1)
    add('GlobalAveragePooling2D', 'gap', ['concat'], data_format='channels_last', keepdims=False)
    add('Dropout', 'dropout', ['gap'], rate=0.2, noise_shape=None, seed=None)
    add('Dense', 'logits', ['dropout'], units=5, activation='linear', use_bias=True)
    weight('logits', 'kernel', rn(24, 5, gain=1.0))
    weight('logits', 'bias', rng.standard_normal(5) * 0.1)

    blob = b''.join(blobs)
    half = len(blob) // 2
    paths = ['group1-shard1of2.bin', 'group1-shard2of2.bin']
    with open(os.path.join(folder, paths[0]), 'wb') as f:
        f.write(blob[:half])
    with open(os.path.join(folder, paths[1]), 'wb') as f:
        f.write(blob[half:])
    model = {
        'format': 'layers-model',
        'generatedBy': 'keras v2.15.0',
        'convertedBy': 'TensorFlow.js Converter v4.22.0',
        'modelTopology': {
            'keras_version': '2.15.0', 'backend': 'tensorflow',
            'model_config': {'class_name': 'Functional', 'config': {
                'name': 'keras_se', 'layers': layers,
                'input_layers': [['input_1', 0, 0]], 'output_layers': [['logits', 0, 0]]}},
        },
        'weightsManifest': [{'paths': paths, 'weights': manifest}],
    }
    with open(os.path.join(folder, 'model.json'), 'w') as f:
        json.dump(model, f, indent=1)

    # numpy reference (float64) on a fixed batch
    def conv(x, k, stride, same, groups=1, bias=None):
        n, h, w, c = x.shape
        kh, kw, ci, co = k.shape
        if same:
            def pads(size):
                out = -(-size // stride)
                tot = max(0, (out - 1) * stride + kh - size)
                return tot // 2, tot - tot // 2
            (t, bt), (l, r) = pads(h), pads(w)
        else:
            t = bt = l = r = 0
        xp = np.pad(x, ((0, 0), (t, bt), (l, r), (0, 0)))
        ho = (h + t + bt - kh) // stride + 1
        wo = (w + l + r - kw) // stride + 1
        y = np.zeros((n, ho, wo, co))
        opg = co // groups
        for g in range(groups):
            xs = xp[..., g * ci:(g + 1) * ci]
            for i in range(kh):
                for j in range(kw):
                    patch = xs[:, i:i + stride * ho:stride, j:j + stride * wo:stride, :]
                    y[..., g * opg:(g + 1) * opg] += patch @ k[i, j, :, g * opg:(g + 1) * opg]
        return y + (bias if bias is not None else 0)

    sig = lambda v: 1 / (1 + np.exp(-v))
    x0 = rng.standard_normal((2, 16, 16, 3)).astype(np.float32).astype(np.float64)
    h = conv(x0, W['conv1/kernel'], 2, True)
    h = (h - W['bn1/moving_mean']) / np.sqrt(W['bn1/moving_variance'] + 1e-3) * W['bn1/gamma'] + W['bn1/beta']
    r1 = np.clip(h, 0, 6)
    d = conv(r1, W['dw/depthwise_kernel'].reshape(3, 3, 1, 8), 1, True, groups=8, bias=W['dw/bias'])
    d = d * sig(d)
    s = d.mean(axis=(1, 2))
    s = np.maximum(s @ W['se1_fc1/kernel'] + W['se1_fc1/bias'], 0)
    s = np.clip(0.2 * (s @ W['se1_fc2/kernel'] + W['se1_fc2/bias']) + 0.5, 0, 1)
    e = d * s[:, None, None, :]
    a1 = conv(e, W['pw/kernel'], 1, False, bias=W['pw/bias']) + r1
    c2 = np.maximum(conv(a1, W['conv2/kernel'], 2, True, bias=W['conv2/bias']), 0)
    s = c2.mean(axis=(1, 2))
    s = np.maximum(s @ W['se2_reduce/kernel'][0, 0] + W['se2_reduce/bias'], 0)
    s = sig(s @ W['se2_expand/kernel'][0, 0] + W['se2_expand/bias'])
    e2 = c2 * s[:, None, None, :]
    p = a1.reshape(2, 4, 2, 4, 2, 8).max(axis=(2, 4))
    cat = np.concatenate([e2, p], axis=-1)
    y = cat.mean(axis=(1, 2)) @ W['logits/kernel'] + W['logits/bias']
    with open(os.path.join(folder, 'expected.json'), 'w') as f:
        json.dump({'input': [float(v) for v in x0.ravel()], 'n': 2, 'output': [float(v) for v in y.ravel()]}, f)
    print(f'keras-se/: model.json + {len(paths)} shards ({len(blob)} bytes), expected.json')


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    se_resnet()
    mobilenetv3(14)
    mobilenetv3(13)
    regnety()
    shufflenet_se()
    efficientnet_dynamo()
    keras_se()
