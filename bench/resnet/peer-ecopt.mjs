// ecopt (the dist/ build) in the residual-network benchmark: SGD or EC-SGD mode 'graph' on the zoo's
// ResNet-20 / PlainNet-20 at a given thread count, trainBatch() on Float32Array batches (so the input
// copy into wasm memory is part of every step, as for a user), and the time-share profile: the layer
// classes' forward/backward prototype methods, the loss and the optimizer update wrapped with timers
// for a few real training steps, grouped by kind (what is left of a step is "other": input and label
// copy, the step guard's parameter backup and non-finite checks, gradient sums where a tensor fans
// out, e.g. a block input feeding both its conv and its shortcut, and dispatch).
const E = await import('../../dist/index.js');
import { buildEcopt, batches } from './nets.mjs';

/** Profile groups of the layer kinds (Layer.kind). */
const GROUP = {
  Conv2D: 'conv', BatchNorm2D: 'bn', Add: 'add', ReLU: 'relu',
  GlobalAvgPool2D: 'pool', MaxPool2D: 'pool', AvgPool2D: 'pool', ChannelPad: 'add', Dense: 'dense',
};
export const PROFILE_GROUPS = ['conv', 'bn', 'add', 'relu', 'pool', 'dense', 'loss', 'optimizer', 'ec', 'other'];

export async function setup({ net, threads, batch, variant, lr }) {
  const rt = await E.init({ threads });
  const model = buildEcopt(E, net);
  const opt = variant === 'ecsgd' ? new E.ECSGD(model, { lr, mode: 'graph' }) : new E.SGD(model, { lr });
  const data = batches(batch);
  const step = (i) => {
    const b = data[i % data.length];
    return model.trainBatch(b.nchw, b.labels, opt);
  };
  return {
    info: {
      threads: rt.threads, build: rt.build, parameters: model.parameterCount, layers: model.layers.length,
      optimizer: opt.kind, options: opt.options(), api: 'resnet()/plainnet() of the zoo, model.trainBatch(x, y, optimizer)',
    },
    step,
    /** Runs `steps` timed training steps with every layer, the loss and the update wrapped; ms per step by group. */
    profile(steps, first) {
      const acc = Object.fromEntries(PROFILE_GROUPS.map((g) => [g, { forward: 0, backward: 0, total: 0 }]));
      const add = (group, part, ms) => { acc[group][part] += ms; acc[group].total += ms; };
      const wrap = (obj, method, group, part) => {
        const f = obj[method];
        if (typeof f !== 'function') throw new Error(`profile: ${method} is not a method`);
        obj[method] = function (...a) {
          const t0 = performance.now();
          try { return f.apply(this, a); } finally { add(typeof group === 'function' ? group(this) : group, part, performance.now() - t0); }
        };
      };
      for (const [kind, group] of Object.entries(GROUP)) {
        const cls = E[kind];
        if (!cls) continue;
        wrap(cls.prototype, 'forward', group, 'forward');
        wrap(cls.prototype, 'backward', group, 'backward');
      }
      // The loss object is the model's own (forward and backward fused in one kernel call).
      wrap(model.objective, 'forwardBackward', 'loss', 'total');
      // update() is the rule itself (SGD: sgd_update over the parameter region; EC-SGD 'graph': path
      // values, the path step, the trust-region lr, the allocation back to weights and the plain rule
      // for parameters outside the EC structure, BN's included): 'optimizer' for SGD, 'ec' for EC-SGD.
      if (variant === 'ecsgd') wrap(opt, 'update', 'ec', 'total');
      else wrap(opt, 'update', 'optimizer', 'total');
      const perStep = [];
      let total = 0;
      for (let s = 0; s < steps; s++) {
        const t0 = performance.now();
        step(first + s);
        const ms = performance.now() - t0;
        perStep.push(ms);
        total += ms;
      }
      const inGroups = PROFILE_GROUPS.reduce((a, g) => a + acc[g].total, 0);
      acc.other.total = total - inGroups;
      const groups = Object.fromEntries(PROFILE_GROUPS.map((g) => [g, {
        msPerStep: acc[g].total / steps,
        share: acc[g].total / total,
        ...(acc[g].forward || acc[g].backward ? { forwardMs: acc[g].forward / steps, backwardMs: acc[g].backward / steps } : {}),
      }]));
      return { steps, msPerStep: total / steps, stepMs: perStep, groups };
    },
  };
}
