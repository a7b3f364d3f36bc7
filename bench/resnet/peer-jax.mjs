// jax-js (@jax-js/jax from bench/node_modules, wasm backend) in the residual-network benchmark: the
// nets of nets.mjs written with lax.convGeneralDilated (NCHW / OIHW, explicit (1, 1) padding as
// ecopt), BatchNorm from batch mean and variance (training mode; the running statistics, which ecopt
// and tfjs also update, are not kept: a negligible cost next to the convolutions), add, relu, mean
// pooling, a dense head and log-softmax cross-entropy; the whole SGD step (value and gradient, update)
// under one jit. Weights: He-uniform convs, BN 1 / 0, from an LCG (throughput does not depend on
// them). jax-js in Node runs on one thread (its worker pool needs a global Worker).
// Follows jax-js's ownership rules: every function consumes its array arguments (.ref to keep one).
import { batches, blocks, INPUT, CLASSES } from './nets.mjs';

export async function setup({ net, batch: B, lr }) {
  const root = new URL('../node_modules/@jax-js/jax/dist/index.js', import.meta.url);
  const jax = await import('@jax-js/jax').catch(() => import(root.href));
  const devices = await jax.init('wasm');
  jax.defaultDevice('wasm');
  const { numpy: np, lax, nn, jit, valueAndGrad, tree, blockUntilReady } = jax;

  // parameters: name -> [shape, init: 'one', 'zero' or the bound of a uniform]
  const specs = [];
  const convW = (name, o, i, k) => specs.push([name, [o, i, k, k], Math.sqrt(6 / (i * k * k))]);
  const bnW = (name, c) => { specs.push([`${name}.g`, [c], 'one']); specs.push([`${name}.b`, [c], 'zero']); };
  convW('conv1', 16, INPUT[0], 3); bnW('bn1', 16);
  const arch = blocks(net).map((b) => {
    const n = `layer${b.stage + 1}.${b.index}`;
    convW(`${n}.c1`, b.out, b.in, 3); bnW(`${n}.b1`, b.out);
    convW(`${n}.c2`, b.out, b.out, 3); bnW(`${n}.b2`, b.out);
    if (b.shortcut === 'projection') { convW(`${n}.pc`, b.out, b.in, 1); bnW(`${n}.pb`, b.out); }
    return { n, ...b };
  });
  specs.push(['fc.w', [64, CLASSES], Math.sqrt(1 / 64)]); specs.push(['fc.b', [CLASSES], 'zero']);
  let s = 1;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
  let params = {};
  let count = 0;
  for (const [name, shape, init] of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    count += n;
    const d = new Float32Array(n).map(() => (init === 'one' ? 1 : init === 'zero' ? 0 : (2 * rnd() - 1) * init));
    params[name] = np.array(d).reshape(shape);
  }

  const conv = (x, w, stride, k) => lax.convGeneralDilated(x, w, [stride, stride], k === 3 ? [[1, 1], [1, 1]] : [[0, 0], [0, 0]]);
  const bn = (x, g, b) => {
    const C = g.shape[0];
    const mean = np.mean(x.ref, [0, 2, 3], { keepdims: true });
    const xc = x.sub(mean);
    const v = np.mean(np.square(xc.ref), [0, 2, 3], { keepdims: true });
    return xc.mul(np.reciprocal(np.sqrt(v.add(1e-5)))).mul(g.reshape([1, C, 1, 1])).add(b.reshape([1, C, 1, 1]));
  };
  const forward = (p, x) => {
    let h = nn.relu(bn(conv(x, p.conv1, 1, 3), p['bn1.g'], p['bn1.b']));
    for (const { n, stride, shortcut } of arch) {
      const inp = h;
      let t = nn.relu(bn(conv(shortcut === 'none' ? inp : inp.ref, p[`${n}.c1`], stride, 3), p[`${n}.b1.g`], p[`${n}.b1.b`]));
      t = bn(conv(t, p[`${n}.c2`], 1, 3), p[`${n}.b2.g`], p[`${n}.b2.b`]);
      if (shortcut === 'projection') t = t.add(bn(conv(inp, p[`${n}.pc`], stride, 1), p[`${n}.pb.g`], p[`${n}.pb.b`]));
      else if (shortcut === 'identity') t = t.add(inp);
      h = nn.relu(t);
    }
    return np.dot(np.mean(h, [2, 3]), p['fc.w']).add(p['fc.b']);
  };
  const loss = (p, x, y) => nn.logSoftmax(forward(p, x)).mul(nn.oneHot(y, CLASSES)).sum().mul(-1 / B);
  const trainStep = jit((p, x, y) => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), x, y);
    return [tree.map((w, d) => w.sub(d.mul(lr)), p, g), l];
  });
  const data = batches(B).map((b) => ({ x: b.nchw, y: Int32Array.from(b.labels) }));
  return {
    info: {
      jax: JSON.parse(await (await import('node:fs/promises')).readFile(new URL('../node_modules/@jax-js/jax/package.json', import.meta.url), 'utf8')).version,
      devices, device: jax.defaultDevice(), threads: 1, parameters: count,
      api: 'lax.convGeneralDilated + mean/var BatchNorm, valueAndGrad, SGD, whole step under jit',
    },
    async step(i) {
      const b = data[i % data.length];
      const X = np.array(b.x).reshape([B, ...INPUT]);
      const Y = np.array(b.y, { dtype: np.int32 });
      let l;
      [params, l] = trainStep(params, X, Y);
      await blockUntilReady(params);
      return await l.jsAsync();
    },
  };
}
