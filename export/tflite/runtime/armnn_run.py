#!/usr/bin/python3
"""The second TFLite verifier's child process: Arm NN's TFLite parser (Debian python3-pyarmnn,
libarmnn-cpuref-backend22), run by Debian's /usr/bin/python3.

Usage: armnn_run.py <model.tflite> <backends, comma-separated, e.g. CpuAcc,CpuRef>
Once the network is parsed and optimised it prints one JSON line
`{"ok": true, "ready": true, "version": "22.0.0", "backends": [...], "inputDtype", "outputDtype"}`
(or `{"ok": false, "error": ...}` and exits 2), then serves one JSON request per stdin line:
`{"input": PATH, "n": N, "output": PATH}` (N·H·W·C little-endian float32 values in, N·K out)
answering `{"ok": true, "outputSize": K, "latencyMs": median per image}`; or
`{"latency": PATH, "runs": R}` (one image, R timed runs after 2 warm-ups) answering
`{"ok": true, "latencyMs": median, "runs": R}`.
An int8 input is quantized with the input tensor's own scale and zero point, an int8 output
dequantized with the output's. Arm NN prints its banner on stdout at import; it is sent to stderr.
"""
import contextlib
import json
import sys
import time

import numpy as np

with contextlib.redirect_stdout(sys.stderr):
    import pyarmnn as ann


def reply(o):
    sys.stdout.write(json.dumps(o) + '\n')
    sys.stdout.flush()


def main():
    model, backends = sys.argv[1], [b for b in sys.argv[2].split(',') if b]
    parser = ann.ITfLiteParser()
    network = parser.CreateNetworkFromBinaryFile(model)
    graph = 0
    in_name = parser.GetSubgraphInputTensorNames(graph)[0]
    out_name = parser.GetSubgraphOutputTensorNames(graph)[0]
    in_binding = parser.GetNetworkInputBindingInfo(graph, in_name)
    out_binding = parser.GetNetworkOutputBindingInfo(graph, out_name)
    runtime = ann.IRuntime(ann.CreationOptions())
    supported = [str(b) for b in runtime.GetDeviceSpec().GetSupportedBackends()]
    use = [b for b in backends if b in supported]
    if not use:
        raise RuntimeError(f'none of the backends {backends} is installed (have {supported})')
    opt, messages = ann.Optimize(network, [ann.BackendId(b) for b in use], runtime.GetDeviceSpec(), ann.OptimizerOptions())
    net_id, err = runtime.LoadNetwork(opt)
    if err:
        raise RuntimeError(err)
    in_info = in_binding[1]
    out_info = out_binding[1]
    in_shape = [in_info.GetShape()[i] for i in range(in_info.GetNumDimensions())]
    out_size = out_info.GetNumElements()
    per = in_info.GetNumElements()
    in_type = in_info.GetDataType()
    out_type = out_info.GetDataType()
    int_types = {ann.DataType_QAsymmS8: np.int8, ann.DataType_QAsymmU8: np.uint8}
    if hasattr(ann, 'DataType_QSymmS8'):
        int_types[ann.DataType_QSymmS8] = np.int8

    def one(img):
        """Logits of one image (float32 [per]), and the seconds EnqueueWorkload took."""
        if in_type in int_types:
            dt = int_types[in_type]
            info = np.iinfo(dt)
            q = np.clip(np.round(img / in_info.GetQuantizationScale()) + in_info.GetQuantizationOffset(), info.min, info.max).astype(dt)
            data = q.reshape(in_shape)
        else:
            data = img.astype(np.float32).reshape(in_shape)
        inputs = ann.make_input_tensors([in_binding], [data])
        outputs = ann.make_output_tensors([out_binding])
        t0 = time.perf_counter()
        runtime.EnqueueWorkload(net_id, inputs, outputs)
        dt_s = time.perf_counter() - t0
        y = ann.workload_tensors_to_ndarray(outputs)[0].reshape(-1)
        if out_type in int_types:
            y = (y.astype(np.float32) - out_info.GetQuantizationOffset()) * out_info.GetQuantizationScale()
        return y.astype(np.float32), dt_s

    dtype = lambda t: 'int8' if t in int_types else 'float32'
    reply({'ok': True, 'ready': True, 'version': ann.ARMNN_VERSION, 'backends': use, 'inputDtype': dtype(in_type), 'outputDtype': dtype(out_type)})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if 'latency' in req:
                img = np.fromfile(req['latency'], dtype='<f4')[:per]
                runs = int(req['runs'])
                times = []
                for k in range(runs + 2):
                    _, s = one(img)
                    if k >= 2:
                        times.append(s)
                reply({'ok': True, 'latencyMs': 1000 * float(np.median(times)), 'runs': runs})
                continue
            x = np.fromfile(req['input'], dtype='<f4')
            n = int(req['n'])
            if x.size != n * per:
                raise ValueError(f'the input holds {x.size} values, expected {n}x{per}')
            out = np.zeros((n, out_size), dtype=np.float32)
            times = []
            for i in range(n):
                out[i], s = one(x[i * per:(i + 1) * per])
                times.append(s)
            out.astype('<f4').tofile(req['output'])
            reply({'ok': True, 'outputSize': out_size, 'latencyMs': 1000 * float(np.median(times)) if times else 0})
        except Exception as e:  # one failed request is an answer, not the end of the process
            reply({'ok': False, 'error': ' '.join(str(e).split())})


if __name__ == '__main__':
    try:
        main()
    except Exception as e:
        reply({'ok': False, 'error': ' '.join(str(e).split())})
        sys.exit(2)
