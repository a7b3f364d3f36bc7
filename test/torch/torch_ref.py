#!/usr/bin/env python3
"""PyTorch reference for ecopt's round-trip tests (test/torch/roundtrip.node.test.ts).

Builds the torch.nn model an ecopt spec describes ('ecopt.sequential' v1 or 'ecopt.graph' v1),
loads ecopt's weights into it with load_state_dict(strict=True) or initialises it the PyTorch way
and saves its state dict, and writes what the test compares with ecopt: the logits, the mean
loss (the spec's 'loss' field: cross-entropy by default), the gradient of every parameter after one backward pass and the state after one
torch.optim.SGD step. Files are safetensors, read and written here with struct and json (Python's
safetensors package is not used). Needs torch and numpy only (Debian: python3-torch python3-numpy).

Usage:
  python3 torch_ref.py JOBS.json  runs a job or a list of them (one import of torch for all)
  python3 torch_ref.py --version  prints {"torch": ..., "numpy": ...} (the test's availability probe)

A job:
  { "spec": <ecopt spec>, "inputs": "in.safetensors",   # x: F32 [B, ...inputShape], y: F32 class indices [B]
                                                         # (or targets: F32 [B, classes] for the other losses)
    "torch_model": { "kind": "cifar_resnet_option_a", ... },   # optional: a model of TORCH_MODELS instead of the spec's
    "runs": [ { "weights": "ecopt.safetensors" | null,   # load these (strict=True); or else
                "init_seed": 3, "save_weights": "torch.safetensors",   # initialise with torch.manual_seed and save
                                                                       # the state dict (every entry in its own dtype)
                "lr": 0.1, "out": "out.safetensors" } ] }
An output file holds, all as F32, 'logits' [B, classes] (evaluation mode), 'loss' [1] (training mode,
mean over the batch), 'grad.<name>' for every parameter and 'after.<name>' for every state-dict entry
after one SGD(lr) step; its metadata 'state_dict_keys' lists the model's state-dict keys (JSON) in order.
A run that fails writes its traceback to '<out>.error' instead, and the other runs go on.

Adding a layer: one entry in LAYERS, @layer('Type') on a function (fields, in_shapes) -> (module,
out_shape), where fields is the layer's spec entry, in_shapes the per-sample input shapes (no
batch) and module an nn.Module (a join's module takes a list of tensors).
"""
import json
import struct
import sys
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from cifar_resnet_a import CifarResNetA  # beside this file (the script's directory is on sys.path)

# ---------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length N, N bytes of JSON (padded with spaces to a
# multiple of 8), then each tensor's little-endian bytes at data_offsets of the data region.

DTYPES = {
    'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32,
    'I16': np.int16, 'I8': np.int8, 'U8': np.uint8, 'BOOL': np.bool_,
}
CODES = {np.dtype(v): k for k, v in DTYPES.items()}


def read_safetensors(path):
    """Returns ({name: numpy array}, metadata) of a safetensors file."""
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', None) or {}
    base = 8 + n
    out = {}
    for name, e in header.items():
        dt = np.dtype(DTYPES[e['dtype']]).newbyteorder('<')
        begin, end = e['data_offsets']
        count = int(np.prod(e['shape'], dtype=np.int64))
        if end - begin != count * dt.itemsize or base + end > len(data):
            raise ValueError(f"{path}: tensor '{name}' of shape {e['shape']} does not fit data_offsets {e['data_offsets']}")
        arr = np.frombuffer(data, dtype=dt, count=count, offset=base + begin).reshape(e['shape'])
        out[name] = arr.astype(dt.newbyteorder('='))
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: numpy array} (in insertion order) and string metadata as a safetensors file."""
    header = {}
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name, a in tensors.items():
        a = np.asarray(a)  # keeps 0-d tensors 0-d (a BN step count); tobytes() is row-major
        raw = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': CODES[a.dtype.newbyteorder('=')], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


# ---------------------------------------------------------------------------------------------
# ecopt layer types -> torch.nn modules. Each builder takes the layer's spec fields and its
# per-sample input shapes and returns (module, per-sample output shape).

LAYERS = {}


def layer(type_name):
    def register(fn):
        LAYERS[type_name] = fn
        return fn
    return register


def pair(v, default):
    v = default if v is None else v
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def one(in_shapes):
    if len(in_shapes) != 1:
        raise ValueError(f'expected one input, got {len(in_shapes)}')
    return in_shapes[0]


class Linear(nn.Linear):
    """ecopt's Dense reads any per-sample shape as a vector (row-major): flatten, then nn.Linear."""

    def forward(self, x):
        return super().forward(x.flatten(1))


class PaddedConv2d(nn.Conv2d):
    """nn.Conv2d after an explicit, possibly asymmetric zero padding (TensorFlow's SAME with stride > 1)."""

    def __init__(self, pads, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pads = pads  # (left, right, top, bottom), F.pad's order

    def forward(self, x):
        return super().forward(F.pad(x, self.pads))


class GlobalAvgPool2d(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


class Add(nn.Module):
    def forward(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


class Concat(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, xs):
        return torch.cat(xs, dim=self.dim)


@layer('Dense')
def dense(f, in_shapes):
    n = int(np.prod(one(in_shapes)))
    if n != f['inFeatures']:
        raise ValueError(f"Dense expects {f['inFeatures']} features, got shape {one(in_shapes)}")
    return Linear(f['inFeatures'], f['outFeatures'], bias=f.get('bias', True)), [f['outFeatures']]


@layer('ReLU')
def relu(f, in_shapes):
    return nn.ReLU(), one(in_shapes)


@layer('LeakyReLU')
def leaky_relu(f, in_shapes):
    return nn.LeakyReLU(f.get('alpha', 0.01)), one(in_shapes)


@layer('PReLU')
def prelu(f, in_shapes):
    s = one(in_shapes)  # one slope per unit of the first per-sample axis: torch's dim 1
    return nn.PReLU(num_parameters=s[0], init=f.get('init', 0.25)), s


@layer('Sigmoid')
def sigmoid(f, in_shapes):
    return nn.Sigmoid(), one(in_shapes)


@layer('Tanh')
def tanh(f, in_shapes):
    return nn.Tanh(), one(in_shapes)


def tf_same(n, k, s, d):
    """TensorFlow's SAME padding (before, after): output ceil(n / s), the odd row after."""
    total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def conv_module(f, c, h, w, o, groups):
    """nn.Conv2d (or PaddedConv2d for TensorFlow's SAME at stride > 1) of an ecopt conv spec; its output shape."""
    (kh, kw) = pair(f['kernel'], None)
    (sh, sw), (dh, dw) = pair(f.get('stride'), 1), pair(f.get('dilation'), 1)
    bias, padding = f.get('bias', True), f.get('padding', 0)
    args = dict(kernel_size=(kh, kw), stride=(sh, sw), dilation=(dh, dw), bias=bias, groups=groups)
    if padding == 'same' and (sh, sw) == (1, 1):
        # PyTorch's own padding='same' (stride 1 only): the claim of ecopt's docs under test
        m = nn.Conv2d(c, o, padding='same', **args)
        ph, pw = (dh * (kh - 1), dw * (kw - 1))
        pads = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    elif padding == 'same':
        (pt, pb), (pl, pr) = tf_same(h, kh, sh, dh), tf_same(w, kw, sw, dw)
        pads = (pl, pr, pt, pb)
        m = PaddedConv2d(pads, c, o, padding=0, **args)
    else:
        ph, pw = pair(padding, 0)
        pads = (pw, pw, ph, ph)
        m = nn.Conv2d(c, o, padding=(ph, pw), **args)
    ho = (h + pads[2] + pads[3] - dh * (kh - 1) - 1) // sh + 1
    wo = (w + pads[0] + pads[1] - dw * (kw - 1) - 1) // sw + 1
    return m, [o, ho, wo]


@layer('Conv2D')
def conv2d(f, in_shapes):
    c, h, w = one(in_shapes)
    if c != f['inChannels']:
        raise ValueError(f"Conv2D expects {f['inChannels']} channels, got shape {one(in_shapes)}")
    return conv_module(f, c, h, w, f['outChannels'], 1)


@layer('DepthwiseConv2D')
def depthwise_conv2d(f, in_shapes):
    c, h, w = one(in_shapes)  # nn.Conv2d(C, C*M, k, groups=C): weight (C*M, 1, kh, kw)
    if c != f['channels']:
        raise ValueError(f"DepthwiseConv2D expects {f['channels']} channels, got shape {one(in_shapes)}")
    return conv_module(f, c, h, w, c * f.get('depthMultiplier', 1), c)


class ChannelPad(nn.Module):
    """Zero channels before and after, the map subsampled by the stride: option A of the CIFAR ResNet."""

    def __init__(self, before, after, stride):
        super().__init__()
        self.before, self.after, self.stride = before, after, stride

    def forward(self, x):
        sh, sw = self.stride
        return F.pad(x[:, :, ::sh, ::sw], (0, 0, 0, 0, self.before, self.after))


@layer('ChannelPad')
def channel_pad(f, in_shapes):
    c, h, w = one(in_shapes)
    (sh, sw) = pair(f.get('stride'), 1)
    return ChannelPad(f['before'], f['after'], (sh, sw)), [f['before'] + c + f['after'], -(-h // sh), -(-w // sw)]


def pool(cls):
    def build(f, in_shapes):
        c, h, w = one(in_shapes)
        (kh, kw) = pair(f['kernel'], None)
        (sh, sw) = pair(f.get('stride'), (kh, kw))  # default: the kernel (non-overlapping windows)
        return cls(kernel_size=(kh, kw), stride=(sh, sw)), [c, (h - kh) // sh + 1, (w - kw) // sw + 1]
    return build


layer('MaxPool2D')(pool(nn.MaxPool2d))
layer('AvgPool2D')(pool(nn.AvgPool2d))


@layer('GlobalAvgPool2D')
def global_avg_pool(f, in_shapes):
    return GlobalAvgPool2d(), [one(in_shapes)[0]]


@layer('Flatten')
def flatten(f, in_shapes):
    return nn.Flatten(), [int(np.prod(one(in_shapes)))]


@layer('Add')
def add(f, in_shapes):
    return Add(), list(in_shapes[0])


@layer('Concat')
def concat(f, in_shapes):
    rank = len(in_shapes[0])
    a = f.get('axis', 0)
    a = a + rank if a < 0 else a
    out = list(in_shapes[0])
    out[a] = sum(s[a] for s in in_shapes)
    return Concat(a + 1), out  # torch's dim counts the batch



@layer('BatchNorm1D')
def batchnorm1d(f, in_shapes):
    s = one(in_shapes)
    return nn.BatchNorm1d(f['numFeatures'], eps=f.get('eps', 1e-5), momentum=f.get('momentum', 0.1), affine=f.get('affine', True)), list(s)


@layer('BatchNorm2D')
def batchnorm2d(f, in_shapes):
    s = one(in_shapes)
    return nn.BatchNorm2d(f['numFeatures'], eps=f.get('eps', 1e-5), momentum=f.get('momentum', 0.1), affine=f.get('affine', True)), list(s)


@layer('Dropout')
def dropout(f, in_shapes):
    return nn.Dropout(f['p']), list(one(in_shapes))  # the cases use p = 0: random masks cannot match


@layer('Dropout2D')
def dropout2d(f, in_shapes):
    return nn.Dropout2d(f['p']), list(one(in_shapes))

# ---------------------------------------------------------------------------------------------
# Models


def build(node, in_shapes, where):
    if node['type'] not in LAYERS:
        raise ValueError(f"{where}: no torch equivalent for layer type '{node['type']}' in torch_ref.py LAYERS (known: {', '.join(LAYERS)})")
    fields = {k: v for k, v in node.items() if k not in ('name', 'inputs')}
    return LAYERS[node['type']](fields, in_shapes)


def sequential_model(spec):
    """nn.Sequential of the layers: state-dict keys '0.weight', '1.bias', ... as ecopt's."""
    if 'inputShape' not in spec:
        raise ValueError('the spec has no inputShape (torch_ref.py does not infer it)')
    shape, mods = spec['inputShape'], []
    for i, l in enumerate(spec['layers']):
        m, shape = build(l, [shape], f'layers[{i}]')
        mods.append(m)
    return nn.Sequential(*mods)


class GraphModel(nn.Module):
    """A functional ecopt Model: every node's module sits at its name's path ('layer1.0.conv1' is
    self.layer1[0].conv1, torchvision-style), so state-dict keys are '<node name>.weight'."""

    def __init__(self, spec):
        super().__init__()
        (inp,) = spec['inputs']
        self.input_name = inp['name']
        self.output_name = spec['outputs'][0]
        shapes = {inp['name']: inp['shape']}
        self.order = []  # (node name, its input names); modules are found by path
        for i, node in enumerate(spec['nodes']):
            m, shapes[node['name']] = build(node, [shapes[r] for r in node['inputs']], f"nodes[{i}] ('{node['name']}')")
            self.attach(node['name'], m)
            self.order.append((node['name'], node['inputs']))

    def attach(self, path, module):
        parent, parts = self, path.split('.')
        for p in parts[:-1]:
            if p not in parent._modules:
                parent.add_module(p, nn.Module())
            parent = parent._modules[p]
        placeholder = parent._modules.get(parts[-1])
        if placeholder is not None:
            if type(placeholder) is not nn.Module:
                raise ValueError(f"node '{path}': two nodes have this name")
            for k, child in placeholder._modules.items():  # 'fc.1' came before 'fc': keep it under fc
                module.add_module(k, child)
        parent.add_module(parts[-1], module)

    def module_at(self, path):
        m = self
        for p in path.split('.'):
            m = m._modules[p]
        return m

    def forward(self, x):
        env = {self.input_name: x}
        for name, inputs in self.order:
            args = [env[r] for r in inputs]
            env[name] = self.module_at(name)(args[0] if len(args) == 1 else args)
        return env[self.output_name]


# models written by hand (a job's 'torch_model'), to check ecopt's builders against well-known code
TORCH_MODELS = {'cifar_resnet_option_a': lambda a: CifarResNetA(a['depth'], a['widths'], a['in_channels'], a['classes'])}


def model_of(spec):
    fmt = spec.get('format')
    if fmt == 'ecopt.sequential' and spec.get('version') == 1:
        return sequential_model(spec)
    if fmt == 'ecopt.graph' and spec.get('version') == 1:
        return GraphModel(spec)
    raise ValueError(f"unknown spec format {fmt!r} version {spec.get('version')!r}")


# ---------------------------------------------------------------------------------------------
# Jobs


def loss_of(spec, logits, y, targets):
    """The mean loss the spec's loss fields name, as torch defines it (ecopt's options.loss)."""
    name = spec.get('loss', 'cross-entropy')
    if name == 'cross-entropy':
        return F.cross_entropy(logits, y, label_smoothing=float(spec.get('labelSmoothing', 0)))
    if name == 'bce-with-logits':
        return F.binary_cross_entropy_with_logits(logits, targets)
    if name == 'mse':
        return F.mse_loss(logits, targets)
    if name == 'huber':
        return F.huber_loss(logits, targets, delta=float(spec.get('huberDelta', 1)))
    raise ValueError(f'unknown loss {name!r}')


def run(spec, make, x, y, targets, r):
    if r.get('weights'):
        model = make()
        tensors, _ = read_safetensors(r['weights'])
        model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    else:
        torch.manual_seed(int(r['init_seed']))
        model = make()  # PyTorch's default initialisation
        sd = model.state_dict()
        write_safetensors(r['save_weights'], {k: v.detach().cpu().numpy() for k, v in sd.items()}, {'format': 'pt'})
    keys = list(model.state_dict().keys())
    out = {}
    model.eval()
    with torch.no_grad():
        out['logits'] = model(x).numpy()
    model.train()
    model.zero_grad(set_to_none=True)
    loss = loss_of(spec, model(x), y, targets)  # mean over the batch (and outputs), as ecopt's loss
    loss.backward()
    out['loss'] = np.array([loss.item()], dtype=np.float32)
    for name, p in model.named_parameters():
        out[f'grad.{name}'] = p.grad.numpy().copy()
    torch.optim.SGD(model.parameters(), lr=float(r.get('lr', 0.1))).step()
    for name, v in model.state_dict().items():  # as F32 (the test reads F32): buffers such as an I64 step count too
        out[f'after.{name}'] = v.detach().numpy().astype(np.float32)
    write_safetensors(r['out'], out, {'state_dict_keys': json.dumps(keys)})


def main(argv):
    if argv[1:] == ['--version']:
        print(json.dumps({'torch': torch.__version__, 'numpy': np.__version__}))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    with open(argv[1]) as f:
        jobs = json.load(f)
    for job in jobs if isinstance(jobs, list) else [jobs]:
        inputs, _ = read_safetensors(job['inputs'])
        x = torch.from_numpy(inputs['x'].astype(np.float32))
        y = torch.from_numpy(inputs['y'].astype(np.int64)) if 'y' in inputs else None
        targets = torch.from_numpy(inputs['targets'].astype(np.float32)) if 'targets' in inputs else None
        tm = job.get('torch_model')  # a model written here instead of the one the spec describes
        make = (lambda: TORCH_MODELS[tm['kind']](tm)) if tm else (lambda: model_of(job['spec']))
        for r in job['runs']:
            try:
                run(job['spec'], make, x, y, targets, r)
            except Exception:  # reported to the test next to the run's output, the other runs go on
                with open(r['out'] + '.error', 'w') as f:
                    f.write(traceback.format_exc())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
