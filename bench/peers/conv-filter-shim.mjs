// SHIM, not part of tfjs: a Conv2DBackpropFilter kernel for the tfjs-backend-wasm 4.22 backend, which
// ships Conv2D and Conv2DBackpropInput but no Conv2DBackpropFilter (so tf.layers cannot train a conv
// net on wasm out of the box). Built only from the backend's own kernels (Transpose, Conv2D/XNNPACK):
//
//   dW[kh, kw, c, o] = sum_{b, i, j} xpad[b, i + kh, j + kw, c] * dy[b, i, j, o]
//
// is a 'valid' convolution of xT = x^T [C, H, W, B] (images = channels, channels = batch) with the
// filter dyT = [Ho, Wo, B, O], padded like the forward pass; its output [C, KH, KW, O] is transposed
// to [KH, KW, C, O]. Stride 1 and dilation 1 only (what the benchmark CNN uses); NHWC only.
export function registerConv2DBackpropFilterShim(tf) {
  const { backend_util } = tf;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc({ inputs, backend, attrs }) {
      const { x, dy } = inputs;
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
      const dil = attrs.dilations ?? 1;
      const one = (v) => (Array.isArray(v) ? v.every((e) => e === 1) : v === 1);
      if (!one(strides) || !one(dil)) throw new Error('Conv2DBackpropFilter shim: stride 1 and dilation 1 only');
      if (dataFormat && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter shim: NHWC only');
      const info = backend_util.computeConv2DInfo(x.shape, filterShape, 1, 1, pad, dimRoundingMode, false, 'channelsLast');
      const { top, bottom, left, right } = info.padInfo;
      const transpose = tf.getKernel('Transpose', 'wasm').kernelFunc;
      const conv = tf.getKernel('Conv2D', 'wasm').kernelFunc;
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      const g = conv({
        inputs: { x: xT, filter: dyT }, backend,
        attrs: { strides: 1, dilations: 1, pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC' },
      });
      backend.disposeData(xT.dataId);
      backend.disposeData(dyT.dataId);
      const dW = transpose({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } });
      backend.disposeData(g.dataId);
      return dW;
    },
  });
}
