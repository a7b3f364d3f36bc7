// The measurement shared by the Node runner and the Chromium page: for one model, ecopt and jax-js
// (demo step and whole-step jit) start from the same weights, are warmed up, then step in `rounds`
// interleaved rounds (order rotated every round), each trainer taking `steps` steps per round on the
// same batch sequence; the ratio ecopt / jax-js is taken per round, and the report gives medians and
// quartiles over rounds. Every trainer ends with the same number of steps; test accuracy follows.
import { jaxTrainer, ecoptTrainer, initialWeights, batchStream, MODELS } from './models.mjs';

export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const p = (s.length - 1) * q, lo = Math.floor(p), hi = Math.ceil(p);
  return s[lo] + (s[hi] - s[lo]) * (p - lo);
};
export const stats = (xs) => ({ median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), n: xs.length });

/**
 * @param {{ jax, ecopt, which: 'mlp'|'cnn', train, test, rounds, steps, warmup, variants?: string[], log? }} o
 */
export async function runPair(o) {
  const { jax, ecopt, which, train, test, rounds, steps, warmup, log = () => {} } = o;
  const B = MODELS[which].batch;
  const next = batchStream(train, B);
  const w0 = await initialWeights(jax, which);
  const trainers = [ecoptTrainer(ecopt, which, w0), ...(o.variants ?? ['demo', 'jit']).map((v) => jaxTrainer(jax, which, v, w0))];
  const k = new Map(trainers.map((t) => [t, 0]));
  const one = async (t) => { const { x, y } = next(k.get(t)); k.set(t, k.get(t) + 1); const t0 = performance.now(); await t.step(x, y); return performance.now() - t0; };
  // first step (for jit: trace + compile + run) reported apart, then the rest of the warm-up
  const firstMs = {}, warmMs = {};
  for (const t of trainers) {
    firstMs[t.label] = await one(t);
    const w = [];
    for (let i = 1; i < warmup; i++) w.push(await one(t));
    warmMs[t.label] = w;
    log(`${which} ${t.label}: first step ${firstMs[t.label].toFixed(0)} ms, warm-up ${w.map((m) => m.toFixed(0)).join(' ')} ms`);
  }
  const perRound = Object.fromEntries(trainers.map((t) => [t.label, []]));
  for (let r = 0; r < rounds; r++) {
    const order = trainers.map((_, i) => trainers[(i + r) % trainers.length]);
    for (const t of order) {
      let ms = 0;
      for (let i = 0; i < steps; i++) ms += await one(t);
      perRound[t.label].push((steps * B * 1000) / ms);
    }
    log(`${which} round ${r + 1}/${rounds}: ` + trainers.map((t) => `${t.label} ${perRound[t.label][r].toFixed(0)}`).join(', ') + ' samples/s');
  }
  const result = { model: MODELS[which].name, batch: B, stepsEach: k.get(trainers[0]), rounds, stepsPerRound: steps, warmup, trainers: {} };
  for (const t of trainers) {
    const acc = await t.evaluate(test.images, test.labels, 1000);
    result.trainers[t.label] = {
      samplesPerSec: stats(perRound[t.label]), perRound: perRound[t.label], firstStepMs: firstMs[t.label],
      warmupMs: warmMs[t.label], finalTrainLoss: t.loss, testAccuracy: acc, steps: k.get(t),
    };
    if (t.label !== 'ecopt') {
      const ratios = perRound.ecopt.map((e, r) => e / perRound[t.label][r]);
      result.trainers[t.label].ecoptRatio = { ...stats(ratios), perRound: ratios };
    }
    t.dispose?.();
  }
  const jaxLabels = trainers.slice(1).map((t) => t.label);
  const best = jaxLabels.reduce((a, b) => (result.trainers[a].samplesPerSec.median >= result.trainers[b].samplesPerSec.median ? a : b));
  result.bestJax = best;
  return result;
}

export function formatPair(res, head = '') {
  const lines = [`${head}${res.model}, batch ${res.batch}: ${res.rounds} interleaved rounds x ${res.stepsPerRound} steps, ${res.stepsEach} steps each in all`];
  for (const [label, t] of Object.entries(res.trainers)) {
    const s = t.samplesPerSec;
    let line = `  ${label.padEnd(12)} ${s.median.toFixed(0).padStart(6)} samples/s [${s.q1.toFixed(0)}-${s.q3.toFixed(0)}]  first step ${t.firstStepMs.toFixed(0)} ms  test acc ${(100 * t.testAccuracy).toFixed(2)}%  loss ${t.finalTrainLoss.toFixed(4)}`;
    if (t.ecoptRatio) line += `  ecopt/this ${t.ecoptRatio.median.toFixed(2)}x [${t.ecoptRatio.q1.toFixed(2)}-${t.ecoptRatio.q3.toFixed(2)}]`;
    lines.push(line);
  }
  lines.push(`  best jax-js variant: ${res.bestJax}; ecopt / best = ${res.trainers[res.bestJax].ecoptRatio.median.toFixed(2)}x`);
  return lines.join('\n');
}
