// Phase timing of a training step for bench/threads.mjs, with no timing code in the product: the
// layers' forward/backward and the optimizers' apply are wrapped on their prototypes (as
// bench/jax/profile.mjs does), and the runtime's kernel object is replaced by a timing copy before
// the model is built (a model keeps the kernels it was built with). A kernel called inside a layer
// or an optimizer counts for that layer or optimizer; the others count by name (loss, guard). What
// no timer sees (the input copy in JS, argument checks, calls) is the remainder. The pool's
// dispatches per step are read from its generation counter. The kernels called inside layers and
// optimizers are also kept per kernel (ms and calls per step) for --detail.

/** Layer class -> phase (forward and backward are reported apart). */
const LAYER_PHASE = {
  Dense: 'dense (GEMM + bias)', Conv2D: 'conv2d (im2col + GEMM + bias)', DepthwiseConv2D: 'conv2d (im2col + GEMM + bias)',
  ReLU: 'activation', LeakyReLU: 'activation', PReLU: 'activation', Sigmoid: 'activation', Tanh: 'activation',
  MaxPool2D: 'pooling', AvgPool2D: 'pooling', GlobalAvgPool2D: 'pooling',
  BatchNorm1D: 'batchnorm', BatchNorm2D: 'batchnorm',
  Add: 'join (Add, fan-out sums)', Concat: 'join (Add, fan-out sums)',
  Flatten: 'other layers', ChannelPad: 'other layers', Dropout: 'other layers', Dropout2D: 'other layers',
};

/** Kernels called outside any layer or optimizer -> phase. */
function kernelPhase(name) {
  if (/^(softmax|bce|mse|huber|regression)/.test(name)) return 'loss';
  if (name === 'axpy_f32') return 'join (Add, fan-out sums)';
  if (name === 'copy_bytes' || name === 'first_nonfinite' || name === 'first_bad_label') return 'guard, checks, input check';
  return `other kernels (${name})`;
}

/** Display order of the phases (others follow). */
export const PHASE_ORDER = [
  'dense (GEMM + bias) fwd', 'dense (GEMM + bias) bwd', 'conv2d (im2col + GEMM + bias) fwd', 'conv2d (im2col + GEMM + bias) bwd',
  'activation fwd', 'activation bwd', 'pooling fwd', 'pooling bwd', 'batchnorm fwd', 'batchnorm bwd',
  'join (Add, fan-out sums) fwd', 'join (Add, fan-out sums) bwd', 'join (Add, fan-out sums)', 'other layers fwd', 'other layers bwd',
  'loss', 'optimizer', 'EC optimizer', 'guard, checks, input check',
];

/**
 * Installs the timers on `lib` (once per imported build). Returns the recorder:
 * setup(rt) before building a model (swaps in the timing kernels), before(rt) / after(rt, steps)
 * around the timed steps; then take() gives { phases: Map(name -> ms per step), dispatches per step }.
 */
export function phaseRecorder(lib) {
  let on = false;
  let ctx = null; // the phase of the layer or optimizer running now
  let acc = new Map();
  let gen0 = 0, pool = null, last = null;
  const add = (k, ms) => acc.set(k, (acc.get(k) ?? 0) + ms);
  let sub = new Map(); // kernels inside a layer or optimizer (not added to the phases again)
  const addSub = (k, ms) => { const e = sub.get(k) ?? { ms: 0, calls: 0 }; e.ms += ms; e.calls++; sub.set(k, e); };
  const wrap = (proto, method, phaseOf) => {
    const f = proto[method];
    if (typeof f !== 'function' || Object.prototype.hasOwnProperty.call(proto, method) && f.__phaseTimed) return;
    const g = function (...a) {
      if (!on || ctx !== null) return f.apply(this, a);
      ctx = phaseOf(this);
      const t0 = performance.now();
      try { return f.apply(this, a); } finally { add(ctx, performance.now() - t0); ctx = null; }
    };
    g.__phaseTimed = true;
    proto[method] = g;
  };
  for (const [cls, phase] of Object.entries(LAYER_PHASE)) {
    const C = lib[cls];
    if (!C) continue;
    // on the class's own prototype, also when it inherits the method (BatchNorm2D from its base)
    wrap(C.prototype, 'forward', () => `${phase} fwd`);
    wrap(C.prototype, 'backward', () => `${phase} bwd`);
  }
  wrap(lib.Optimizer.prototype, 'apply', (o) => (String(o.kind).startsWith('EC') || o.kind === 'PathSGD' ? 'EC optimizer' : 'optimizer'));

  return {
    setup(rt) {
      const raw = rt.kernels;
      const timed = {};
      for (const name of Object.keys(raw)) {
        const v = raw[name];
        if (typeof v !== 'function') { timed[name] = v; continue; }
        const phase = kernelPhase(name);
        timed[name] = (...a) => {
          if (!on) return v(...a);
          const t0 = performance.now();
          // inside a layer or optimizer: counted there; kept apart as `phase: kernel` for --detail
          try { return v(...a); } finally { if (ctx === null) add(phase, performance.now() - t0); else addSub(`${ctx}: ${name}`, performance.now() - t0); }
        };
      }
      rt.kernels = timed;
      const b = rt.arena.liveBlocks().find((x) => x.what === 'thread pool block');
      pool = b ? { mem: rt.arena, ptr: b.ptr } : null;
    },
    before(rt) {
      acc = new Map();
      sub = new Map();
      gen0 = pool ? new Int32Array(rt.arena.memory.buffer)[pool.ptr >> 2] : 0;
      on = true;
      this.t0 = performance.now();
    },
    after(rt, steps) {
      on = false;
      const total = performance.now() - this.t0;
      const gen = pool ? new Int32Array(rt.arena.memory.buffer)[pool.ptr >> 2] : 0;
      const phases = new Map();
      let seen = 0;
      for (const [k, v] of acc) { phases.set(k, v / steps); seen += v; }
      phases.set('remainder (JS: input copy, calls, checks)', (total - seen) / steps);
      const kernels = new Map([...sub].map(([k, e]) => [k, { ms: e.ms / steps, calls: e.calls / steps }]));
      last = { phases, kernels, total: total / steps, dispatches: (gen - gen0) / steps };
    },
    take() { return last; },
  };
}
