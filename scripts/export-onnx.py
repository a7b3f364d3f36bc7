#!/usr/bin/env python3
"""Exports ecopt models to ONNX through torch.onnx.export (the inference-latency benchmark's
onnxruntime-web peer, bench/infer/). Run by bench/infer/export.mjs; by hand:

  /usr/bin/python3 scripts/export-onnx.py MODEL.safetensors OUT.onnx [CHECK.safetensors]

MODEL.safetensors is an ecopt model file (model.toSafetensors(): torch-compatible names and
layouts, the spec in the 'ecopt.spec' metadata). The torch.nn module is built from the spec by
test/torch/torch_ref.py (imported by path, not copied), the weights are loaded with
load_state_dict(strict=True) and the module is exported in evaluation mode (BatchNorm uses its
running statistics; the exporter folds it into the preceding convolution), opset 13, dynamic
batch axis, input 'x' [B, ...inputShape], output 'logits' [B, classes]. With CHECK.safetensors
(tensor 'x'), it writes torch's logits for x there as 'logits' (for the benchmark's correctness
check). Needs torch only (Debian: python3-torch); the onnx Python package is not needed.
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_DIR = os.path.join(HERE, '..', 'test', 'torch')
sys.path.insert(0, TORCH_DIR)  # torch_ref.py imports modules that sit beside it
spec_ = importlib.util.spec_from_file_location('torch_ref', os.path.join(TORCH_DIR, 'torch_ref.py'))
torch_ref = importlib.util.module_from_spec(spec_)
spec_.loader.exec_module(torch_ref)


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    tensors, meta = torch_ref.read_safetensors(argv[1])
    spec = json.loads(meta['ecopt.spec'])
    model = torch_ref.model_of(spec)
    sd = model.state_dict()
    # ecopt files carry no num_batches_tracked (unused in evaluation mode): keep torch's
    state = {k: torch.from_numpy(v) for k, v in tensors.items()}
    for k in sd:
        if k.endswith('num_batches_tracked') and k not in state:
            state[k] = sd[k]
    model.load_state_dict(state, strict=True)
    model.eval()
    # padding='same' (ecopt's 'same' at stride 1) exports as aten::_convolution_mode, which the ONNX
    # exporter of torch 1.13 refuses: give odd kernels their equal numeric padding instead
    for mod in model.modules():
        if isinstance(mod, torch.nn.Conv2d) and isinstance(mod.padding, str):
            if mod.padding != 'same' or any(k % 2 == 0 for k in mod.kernel_size) or mod.stride != (1, 1):
                raise ValueError(f'cannot export padding {mod.padding!r} with kernel {mod.kernel_size} stride {mod.stride}')
            mod.padding = tuple(d * (k - 1) // 2 for k, d in zip(mod.kernel_size, mod.dilation))
    shape = spec['inputShape'] if 'inputShape' in spec else spec['inputs'][0]['shape']
    dummy = torch.zeros([1] + list(shape), dtype=torch.float32)
    torch.onnx.export(model, dummy, argv[2], input_names=['x'], output_names=['logits'],
                      dynamic_axes={'x': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13,
                      do_constant_folding=True)
    if len(argv) == 4:
        x, _ = torch_ref.read_safetensors(argv[3])
        with torch.no_grad():
            logits = model(torch.from_numpy(x['x'].astype(np.float32))).numpy()
        torch_ref.write_safetensors(argv[3], {'x': x['x'], 'logits': logits})
    print(json.dumps({'onnx': argv[2], 'bytes': os.path.getsize(argv[2]), 'torch': torch.__version__}))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
