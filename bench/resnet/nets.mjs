// The two networks of the residual-network throughput benchmark (bench/resnet.mjs) and the data every
// peer trains on:
//   resnet20    ResNet-20 (He et al. 2016, CIFAR variant): 3x3 stem conv 3->16 + BN + ReLU, three
//               stages of three basic blocks (16, 32, 64 channels; stride 2 into stages 2 and 3),
//               global average pooling, dense 64->10. ecopt's default shortcut: identity, and at the
//               two stage transitions a 1x1 stride-2 projection conv + BN (272,474 trainable
//               parameters).
//   plainnet20  the same without shortcuts (the paper's PlainNet-20, 269,722 trainable parameters).
// Convs have no bias (BN follows each). Inputs 3x32x32, 10 classes, softmax cross-entropy.
// buildEcopt builds them with ecopt's zoo (resnet(), plainnet()); buildTfjs with the functional
// tf.layers API (NHWC; 3x3 'same' convs, whose stride-2 padding is (0, 1) where ecopt's is (1, 1):
// the same output shapes and FLOPs). The jax-js version lives in jax.mjs.
// Data: NBATCHES deterministic batches of uniform [0, 1) pixels (an LCG, seed 7), labels i % 10;
// CIFAR-10 cannot be downloaded here, and throughput does not depend on pixel values.

export const NETS = {
  resnet20: { name: 'ResNet-20', plain: false },
  plainnet20: { name: 'PlainNet-20', plain: true },
};
export const INPUT = [3, 32, 32];
export const CLASSES = 10;
export const NBATCHES = 4;

/** `NBATCHES` batches of `B` samples: { nchw: Float32Array, nhwc: Float32Array, labels: Uint8Array }. */
export function batches(B) {
  const [C, H, W] = INPUT;
  let s = 7;
  const out = [];
  for (let b = 0; b < NBATCHES; b++) {
    const nchw = new Float32Array(B * C * H * W);
    for (let i = 0; i < nchw.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; nchw[i] = s / 4294967296; }
    const nhwc = new Float32Array(nchw.length);
    for (let n = 0; n < B; n++) {
      for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) nhwc[(n * H * W + p) * C + c] = nchw[(n * C + c) * H * W + p];
    }
    out.push({ nchw, nhwc, labels: Uint8Array.from({ length: B }, (_, i) => i % CLASSES) });
  }
  return out;
}

/** The stages of the net: one entry per basic block, { stage, index, in, out, stride, shortcut }. */
export function blocks(net) {
  const plain = NETS[net].plain;
  const out = [];
  let ch = 16;
  [16, 32, 64].forEach((w, stage) => {
    for (let i = 0; i < 3; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const shortcut = plain ? 'none' : stride !== 1 || ch !== w ? 'projection' : 'identity';
      out.push({ stage, index: i, in: ch, out: w, stride, shortcut });
      ch = w;
    }
  });
  return out;
}

/** ecopt's model, from its zoo (`E` is the ecopt module: dist/ for the benchmark, src/ for tests). */
export function buildEcopt(E, net) {
  const make = NETS[net].plain ? E.plainnet : E.resnet;
  return make({ depth: 20, inputShape: INPUT, classes: CLASSES, seed: 0 });
}

/**
 * The same net in tf.layers (functional API): conv2d (no bias) -> batchNormalization (momentum 0.9 and
 * epsilon 1e-5, torch's, as ecopt) -> reLU; add for the shortcuts; globalAveragePooling2d; dense with
 * softmax (compiled with categoricalCrossentropy, the tf.layers way to write softmax cross-entropy).
 */
export function buildTfjs(tf, net) {
  const L = tf.layers;
  const conv = (x, filters, k, strides) => L.conv2d({ filters, kernelSize: k, strides, padding: 'same', useBias: false }).apply(x);
  const bn = (x) => L.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 }).apply(x);
  const relu = (x) => L.reLU().apply(x);
  const input = tf.input({ shape: [INPUT[1], INPUT[2], INPUT[0]] });
  let h = relu(bn(conv(input, 16, 3, 1)));
  for (const b of blocks(net)) {
    let t = relu(bn(conv(h, b.out, 3, b.stride)));
    t = bn(conv(t, b.out, 3, 1));
    if (b.shortcut !== 'none') t = L.add().apply([t, b.shortcut === 'projection' ? bn(conv(h, b.out, 1, b.stride)) : h]);
    h = relu(t);
  }
  const out = L.dense({ units: CLASSES, activation: 'softmax' }).apply(L.globalAveragePooling2d({}).apply(h));
  return tf.model({ inputs: input, outputs: out });
}

/** Trainable parameters of a tf.layers model (countParams() also counts BN's moving statistics). */
export function tfjsTrainableCount(model) {
  return model.trainableWeights.reduce((a, w) => a + w.shape.reduce((p, q) => p * q, 1), 0);
}
