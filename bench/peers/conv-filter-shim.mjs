// SHIM, not part of tfjs: a Conv2DBackpropFilter kernel for the tfjs-backend-wasm 4.22 backend, which
// ships Conv2D and Conv2DBackpropInput but no Conv2DBackpropFilter (so tf.layers cannot train a conv
// net on wasm out of the box). Built only from the backend's own kernels (Transpose, Conv2D/XNNPACK,
// Slice):
//
//   dW[kh, kw, c, o] = sum_{b, i, j} xpad[b, s*i + kh, s*j + kw, c] * dy[b, i, j, o]
//
// is a 'valid' convolution of xT = x^T [C, H, W, B] (images = channels, channels = batch) with the
// filter dyT = [Ho, Wo, B, O] dilated by the stride s, padded like the forward pass; its output
// [C, >=KH, >=KW, O] is cut to [C, KH, KW, O] (with stride > 1 and 'same' padding the dilated filter
// can leave a row or column too many, e.g. a 1x1 stride-2 conv on an even map) and transposed to
// [KH, KW, C, O]. Strides 1 and 2 (any stride), dilation 1 only; NHWC only. Used by bench/peers (the
// stride-1 CNN) and bench/resnet (stride-2 3x3 and 1x1 convs).
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
      if (!one(dil)) throw new Error('Conv2DBackpropFilter shim: dilation 1 only');
      if (dataFormat && dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter shim: NHWC only');
      const info = backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      const { top, bottom, left, right } = info.padInfo;
      const { strideHeight: sh, strideWidth: sw, filterHeight: KH, filterWidth: KW, inChannels: C, outChannels: O } = info;
      const transpose = tf.getKernel('Transpose', 'wasm').kernelFunc;
      const conv = tf.getKernel('Conv2D', 'wasm').kernelFunc;
      const xT = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
      const dyT = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
      let g = conv({
        inputs: { x: xT, filter: dyT }, backend,
        attrs: { strides: 1, dilations: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC' },
      });
      backend.disposeData(xT.dataId);
      backend.disposeData(dyT.dataId);
      if (g.shape[1] !== KH || g.shape[2] !== KW) {
        const slice = tf.getKernel('Slice', 'wasm').kernelFunc;
        const cut = slice({ inputs: { x: g }, backend, attrs: { begin: [0, 0, 0, 0], size: [C, KH, KW, O] } });
        backend.disposeData(g.dataId);
        g = cut;
      }
      const dW = transpose({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } });
      backend.disposeData(g.dataId);
      return dW;
    },
  });
}
