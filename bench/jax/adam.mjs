// Benchmark helper: Adam for jax-js, as jax-js's optax port computes it.
//
// jax-js's optax package (packages/optax in the jax-js repository) is not published on npm, so this
// file re-creates what its `adam(lr)` does -- chain(scaleByAdam(), scaleByLearningRate(lr)) followed
// by `applyUpdates` -- with the same array operations in the same order (the moment updates as
// g^order * (1 - decay) + t * decay, in-graph bias correction 1 / (1 - decay^count) so that the
// whole step can be put under `jit`, m_hat / (sqrt(v_hat + epsRoot) + eps), times -lr, added to the
// params) and the same reference-counting discipline (every function consumes its arguments). It is
// used only by the benchmarks in bench/jax/ and is not part of ecopt.
//
// The algorithm and op sequence follow jax-js's optax (packages/optax/src/{alias,transform,
// treeUtils,base}.ts), which is under the MIT licence:
//
//   MIT License
//
//   Copyright (c) 2025 Eric Zhang
//
//   Permission is hereby granted, free of charge, to any person obtaining a copy of
//   this software and associated documentation files (the "Software"), to deal in
//   the Software without restriction, including without limitation the rights to
//   use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
//   the Software, and to permit persons to whom the Software is furnished to do so,
//   subject to the following conditions:
//
//   The above copyright notice and this permission notice shall be included in all
//   copies or substantial portions of the Software.
//
//   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
//   IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
//   FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
//   COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
//   IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
//   CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

/**
 * Adam as optax's `adam(lr, { b1, b2, eps, epsRoot })` for jax-js: `init(params)` -> state,
 * `update(grads, state)` -> [updates, state], `applyUpdates(params, updates)` -> params. Params are a
 * flat object of arrays; each call consumes its array arguments (jax-js's ownership rules).
 * @param {any} jax the `@jax-js/jax` module (passed in so that Node and the browser page share this file)
 */
export function adam(jax, lr, { b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0.0 } = {}) {
  const { numpy: np, tree } = jax;
  const moment = (g, t, decay, order) => {
    let p = g.ref;
    for (let i = 1; i < order; i++) p = p.mul(g.ref);
    g.dispose();
    return p.mul(1 - decay).add(t.mul(decay));
  };
  const biasCorrection = (moments, decay, count) => {
    const c = np.reciprocal(np.subtract(1.0, np.power(decay, count.astype(np.float32))));
    const out = tree.map((t) => t.mul(c.ref), moments);
    c.dispose();
    return out;
  };
  return {
    init(params) {
      const mu = tree.map((x) => np.zerosLike(x), tree.ref(params));
      const nu = tree.map((x) => np.zerosLike(x), params);
      // chain(scaleByAdam, scaleByLearningRate) keeps one state per transform; scale has none
      return [{ count: np.array(0, { dtype: np.uint32 }), mu, nu }, []];
    },
    update(grads, state) {
      let { count, mu, nu } = state[0];
      mu = tree.map((g, t) => moment(g, t, b1, 1), tree.ref(grads), mu);
      nu = tree.map((g, t) => moment(g, t, b2, 2), tree.ref(grads), nu);
      count = count.add(1);
      const muHat = biasCorrection(tree.ref(mu), b1, count.ref);
      const nuHat = biasCorrection(tree.ref(nu), b2, count.ref);
      tree.dispose(grads);
      let updates = tree.map((m, v) => m.div(np.sqrt(v.add(epsRoot)).add(eps)), muHat, nuHat);
      updates = tree.map((u) => u.mul(-lr), updates);
      return [updates, [{ count, mu, nu }, state[1]]];
    },
    applyUpdates(params, updates) {
      return tree.map((p, u) => p.add(u), params, updates);
    },
  };
}
