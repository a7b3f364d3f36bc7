// Main thread of the demo: the form, the live chart (canvas, drawn here), the drawing pad and the
// probability bars. All training and inference happens in worker.js.

const $ = (id) => document.getElementById(id);
const els = {
  form: $('controls'), train: $('train'), stop: $('stop'), status: $('status'), result: $('result'), bar: $('bar'),
  loss: $('loss'), acc: $('acc'), step: $('step'), sps: $('sps'),
  chart: $('chart'), legend: $('legend'), logscale: $('logscale'), chartNote: $('chart-note'),
  pad: $('pad'), preview: $('preview'), clear: $('clear'), classify: $('classify'), pred: $('pred'), probs: $('probs'),
  frames: $('frames'), heartbeat: $('heartbeat'), isolation: $('isolation'), runtime: $('runtime'),
};

let chartDirty = true; // the chart is redrawn on the next animation frame

const setState = (s) => { document.body.dataset.state = s; };
const setStatus = (t) => { els.status.textContent = t; };

// ---------------------------------------------------------------- heartbeat (main-thread frames)

let frames = 0;
function tick() {
  frames++;
  if (frames % 4 === 0) {
    els.frames.value = String(frames);
    els.frames.textContent = String(frames);
    els.frames.dataset.frames = String(frames);
  }
  els.heartbeat.style.setProperty('--phase', String(Math.sin(frames / 10)));
  if (chartDirty) drawChart();
  requestAnimationFrame(tick);
}

els.isolation.textContent = `cross-origin isolated: ${self.crossOriginIsolated ? 'yes' : 'no'}`;
els.isolation.classList.add(self.crossOriginIsolated ? 'ok' : 'bad');
els.isolation.dataset.isolated = String(self.crossOriginIsolated);

// ---------------------------------------------------------------- form presets from the URL

const params = new URLSearchParams(location.search);
const quick = params.has('quick') && params.get('quick') !== '0';
// ?quick=1: 200 steps of 64 on the first 4,000 images (4 epochs' worth, so the step budget is what ends it)
const QUICK = { trainLimit: 4000, maxSteps: 200, evalSize: 500 };
const presets = {
  model: params.get('model'),
  optimizer: params.get('opt') ?? params.get('optimizer'),
  lr: params.get('lr'),
  epochs: params.get('epochs'),
  batchSize: params.get('batch'),
  trainLimit: params.get('limit') ?? (quick ? String(QUICK.trainLimit) : null),
  maxSteps: params.get('steps') ?? (quick ? String(QUICK.maxSteps) : null),
  evalSize: params.get('eval') ?? (quick ? String(QUICK.evalSize) : null),
};
for (const [name, v] of Object.entries(presets)) if (v !== null && els.form.elements[name]) els.form.elements[name].value = v;
if (quick && presets.epochs === null) {
  // enough epochs for the step budget to be reached
  const f = els.form.elements;
  const perEpoch = Math.ceil(Number(f.trainLimit.value) / Math.max(1, Number(f.batchSize.value)));
  f.epochs.value = String(Math.max(1, Math.ceil(Number(f.maxSteps.value) / Math.max(1, perEpoch))));
}
const seed = Number(params.get('seed') ?? 0);

function readConfig() {
  const f = els.form.elements;
  const num = (n) => Number(f[n].value);
  return {
    model: f.model.value, optimizer: f.optimizer.value, lr: num('lr'), epochs: num('epochs'), batchSize: num('batchSize'),
    trainLimit: num('trainLimit'), maxSteps: num('maxSteps'), evalSize: num('evalSize'), seed,
  };
}

/** The run the form describes, computed as the worker does: steps, batch, epochs. */
function plan(cfg) {
  const count = Math.min(cfg.trainLimit, 60000);
  const batch = Math.min(cfg.batchSize, count);
  const perEpoch = Math.ceil(count / batch);
  const steps = Math.min(cfg.epochs * perEpoch, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
  return { count, batch, perEpoch, steps, epochs: steps / perEpoch };
}

function showPlan() {
  const el = $('plan');
  const cfg = readConfig();
  if (![cfg.trainLimit, cfg.batchSize, cfg.epochs].every((v) => Number.isInteger(v) && v > 0) || !(cfg.maxSteps >= 0)) {
    el.textContent = '';
    delete el.dataset.steps;
    return;
  }
  const p = plan(cfg);
  const ep = Number.isInteger(p.epochs) ? String(p.epochs) : p.epochs.toFixed(1);
  el.textContent = `→ ${p.steps.toLocaleString('en')} steps of ${p.batch} images (${ep} epoch${p.epochs === 1 ? '' : 's'} of ${p.count.toLocaleString('en')})` +
    (cfg.maxSteps > 0 && p.steps < cfg.maxSteps ? `: the epochs end it before ${cfg.maxSteps.toLocaleString('en')} max steps` : '');
  el.dataset.steps = String(p.steps);
}
els.form.addEventListener('input', showPlan);
showPlan();

// ---------------------------------------------------------------- worker

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onerror = (e) => {
  setState('error');
  setStatus(`the worker failed to start: ${e.message || 'see the console'} (is /dist built? run npm run build)`);
};

let ready = false;
let trained = false;
let running = false;

worker.onmessage = (ev) => {
  const m = ev.data;
  switch (m.type) {
    case 'status': setStatus(m.text); break;
    case 'runtime':
      els.runtime.textContent = `kernels: ${m.build}, ${m.threads} thread${m.threads > 1 ? 's' : ''}`;
      els.runtime.dataset.threads = String(m.threads);
      els.runtime.title = m.note || 'add ?threads=N to the URL to split the matrix products over N threads';
      if (m.note) console.warn(`ecopt: ${m.note}`);
      break;
    case 'download': onDownload(m); break;
    case 'ready':
      if (running) { setStatus(`downloaded ${m.train.toLocaleString('en')} training images; training…`); break; }
      ready = true;
      els.bar.style.width = '0';
      setState('ready');
      setStatus(`MNIST loaded: ${m.train.toLocaleString('en')} training and ${m.test.toLocaleString('en')} test images (${m.seconds.toFixed(1)} s). Ready.`);
      els.train.disabled = false;
      if (params.get('autostart') === '1') startTraining();
      break;
    case 'start': onStart(m); break;
    case 'progress': onProgress(m); break;
    case 'done': onDone(m); break;
    case 'probs': showProbs(m.probs, m.id); break;
    case 'error': onError(m); break;
  }
};
// kernel threads (opt-in, ?threads=N): init() runs once per worker, so this is fixed at load time.
// More than 1 needs SharedArrayBuffer, i.e. this page being cross-origin isolated (COOP + COEP).
const threads = Math.max(1, Math.floor(Number(params.get('threads') ?? 1)) || 1);
worker.postMessage({ type: 'load', threads, trainLimit: readConfig().trainLimit });

const MB = (b) => (b / 1e6).toFixed(1);
let downloads = 0;
function onDownload(m) {
  downloads++;
  const d = els.status.dataset;
  d.downloadEvents = String(downloads);
  d.downloadLoaded = String(m.loaded);
  d.downloadTotal = m.total === undefined ? '' : String(m.total);
  if (m.total) {
    setStatus(`downloading MNIST: ${MB(m.loaded)} of ${MB(m.total)} MB (${Math.floor(100 * m.loaded / m.total)}%)…`);
    els.bar.style.width = `${(100 * m.loaded / m.total).toFixed(1)}%`;
  } else setStatus(`downloading MNIST: ${MB(m.loaded)} MB…`);
}

function startTraining() {
  if (!ready || running) return;
  if (!els.form.reportValidity()) return;
  const cfg = readConfig();
  running = true;
  setState('training');
  els.train.disabled = true;
  els.stop.disabled = false;
  els.result.textContent = '';
  els.bar.style.width = '0';
  setStatus('building the model…');
  newRun(cfg);
  worker.postMessage({ type: 'train', config: cfg });
}

els.form.addEventListener('submit', (e) => { e.preventDefault(); startTraining(); });
els.stop.addEventListener('click', () => {
  worker.postMessage({ type: 'stop' });
  els.stop.disabled = true;
  setStatus('stopping…');
});

function onStart(m) {
  run.total = m.totalSteps;
  run.perEpoch = m.perEpoch;
  setStatus(`training ${m.model.toUpperCase()} (${m.parameters.toLocaleString('en')} weights) with ${m.optimizer} on ${m.trainCount.toLocaleString('en')} images, ${m.totalSteps} steps…`);
  chartDirty = true;
}

function onProgress(m) {
  run.loss.push([m.step, m.loss]);
  if (m.accuracy !== undefined) run.acc.push([m.step, m.accuracy]);
  els.loss.textContent = m.loss.toFixed(4);
  els.loss.dataset.value = String(m.loss);
  if (m.accuracy !== undefined) els.acc.textContent = `${(m.accuracy * 100).toFixed(1)}%`;
  els.step.textContent = `${m.step}/${m.totalSteps}`;
  els.sps.textContent = Math.round(m.samplesPerSec).toLocaleString('en');
  els.bar.style.width = `${(100 * m.step / m.totalSteps).toFixed(1)}%`;
  if (m.epochs > 1) setStatus(`training… epoch ${m.epoch}/${m.epochs}`);
  chartDirty = true;
}

function onDone(m) {
  running = false;
  trained = true;
  run.final = m.testAccuracy;
  setState('done');
  els.train.disabled = false;
  els.stop.disabled = true;
  els.classify.disabled = false;
  els.acc.textContent = `${(m.testAccuracy * 100).toFixed(1)}%`;
  els.sps.textContent = Math.round(m.samplesPerSec).toLocaleString('en');
  els.result.innerHTML = `Test accuracy <b>${(m.testAccuracy * 100).toFixed(2)}%</b> (loss ${m.testLoss.toFixed(4)}) on all 10,000 test images, ` +
    `after ${m.step} steps in ${m.seconds.toFixed(1)} s${m.stopped ? ' (stopped)' : ''}.`;
  els.result.dataset.accuracy = String(m.testAccuracy);
  setStatus('Done. Draw a digit below (or train again with other settings: the chart keeps the last runs for comparison).');
  updateLegend();
  chartDirty = true;
  if (hasInk) classify();
}

function onError(m) {
  setStatus(`${m.where}: ${m.name}: ${m.message}`);
  if (m.where === 'predict') return;
  running = false;
  setState('error');
  els.train.disabled = !ready;
  els.stop.disabled = true;
  updateLegend();
}

// ---------------------------------------------------------------- chart

const COLORS = ['#4fb3ff', '#ffb74d', '#ba68c8', '#4dd0e1', '#f06292'];
const runs = [];
let run = null;

function newRun(cfg) {
  run = { cfg, loss: [], acc: [], total: 1, perEpoch: 1, final: undefined, color: COLORS[runs.length % COLORS.length] };
  runs.push(run);
  while (runs.length > 4) runs.shift();
  updateLegend();
  chartDirty = true;
}

function label(r) {
  const opt = r.cfg.optimizer === 'ecsgd' ? 'EC-SGD' : 'SGD';
  const acc = r.final !== undefined ? ` → ${(r.final * 100).toFixed(1)}%` : '';
  return `${r.cfg.model.toUpperCase()} · ${opt} · lr ${r.cfg.lr}${acc}`;
}

function updateLegend() {
  els.legend.replaceChildren(...runs.map((r) => {
    const d = document.createElement('div');
    const sw = document.createElement('span');
    sw.className = 'sw';
    sw.style.background = r.color;
    d.append(sw, label(r));
    if (r !== run) d.style.opacity = '0.6';
    return d;
  }));
}

els.logscale.addEventListener('change', () => {
  els.chart.dataset.scale = els.logscale.checked ? 'log' : 'linear';
  chartDirty = true;
});

function drawChart() {
  chartDirty = false;
  const c = els.chart;
  const dpr = Math.min(window.devicePixelRatio || 1, 3);
  const cssW = c.clientWidth || 640;
  const cssH = c.clientHeight || Math.round(cssW * 300 / 640); // CSS sets the aspect ratio (taller on phones)
  if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) { c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr); }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
  const narrow = cssW < 480;
  const log = els.logscale.checked;

  // axes ranges over every visible run
  let maxStep = runs.length ? 1 : 100;
  for (const r of runs) {
    maxStep = Math.max(maxStep, r.total);
    for (const p of r.loss) maxStep = Math.max(maxStep, p[0]);
  }
  const { top } = lossRange(runs);
  const yTicks = log ? logTicks(Math.max(1e-3, Math.min(minLoss(runs, top), top / 10)), top * 1.2) : linTicks(top, narrow ? 4 : 5);
  const lo = log ? yTicks.lo : 0;
  const hi = yTicks.hi;
  // the step axis ends at the run's last step (ticks at nice steps up to it)
  const xAll = linTicks(maxStep, narrow ? 4 : 6, true);
  const xKeep = xAll.values.map((v) => v <= maxStep);
  const xTicks = { values: xAll.values.filter((_, i) => xKeep[i]), labels: xAll.labels.filter((_, i) => xKeep[i]) };
  const xMax = maxStep;
  // margins that fit the tick labels (and the rotated axis titles beside them)
  g.font = '11px ui-monospace, monospace';
  const textW = (t) => g.measureText(t).width;
  const pad = {
    l: Math.ceil(Math.max(...yTicks.labels.map(textW))) + 26,
    r: Math.ceil(textW('100%')) + 24,
    t: 14, b: 34,
  };
  const W = cssW - pad.l - pad.r, H = cssH - pad.t - pad.b;
  const x = (s) => pad.l + (s / xMax) * W;
  const yL = (v) => {
    const t = log ? (Math.log(Math.max(v, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : v / hi;
    return pad.t + H - Math.min(1, Math.max(0, t)) * H;
  };
  const yA = (a) => pad.t + H - a * H;

  // grid and axes
  g.font = '11px ui-monospace, monospace';
  g.lineWidth = 1;
  g.strokeStyle = '#26303b';
  g.fillStyle = '#8a97a6';
  g.textBaseline = 'middle';
  for (const [i, v] of yTicks.values.entries()) {
    const yy = Math.round(yL(v)) + 0.5;
    g.beginPath(); g.moveTo(pad.l, yy); g.lineTo(pad.l + W, yy); g.stroke();
    g.textAlign = 'right'; g.fillText(yTicks.labels[i], pad.l - 6, yy);
  }
  g.textAlign = 'left';
  for (let a = 0; a <= 1.0001; a += narrow ? 0.5 : 0.25) g.fillText(`${Math.round(a * 100)}%`, pad.l + W + 6, yA(a));
  g.textAlign = 'center'; g.textBaseline = 'top';
  for (const [i, s] of xTicks.values.entries()) g.fillText(xTicks.labels[i], x(s), pad.t + H + 6);
  g.fillText('step', pad.l + W / 2, Math.min(pad.t + H + 20, cssH - 13));
  g.save();
  g.translate(9, pad.t + H / 2); g.rotate(-Math.PI / 2); g.textBaseline = 'middle';
  g.fillText(log ? 'loss (log)' : 'loss', 0, 0);
  g.restore();
  g.save();
  g.translate(cssW - 7, pad.t + H / 2); g.rotate(Math.PI / 2); g.textBaseline = 'middle';
  g.fillText(narrow ? 'accuracy' : 'test accuracy', 0, 0);
  g.restore();
  g.strokeStyle = '#3a4654';
  g.strokeRect(pad.l + 0.5, pad.t + 0.5, W, H);

  // points above the axis (a diverging run): marked with a triangle at the top edge and counted
  let clipped = 0, lossMax = 0;
  for (const r of runs) {
    for (const [s, v] of r.loss) {
      if (!Number.isFinite(v)) continue;
      if (v > hi) clipped++;
      else lossMax = Math.max(lossMax, v);
    }
  }
  if (clipped) {
    for (const r of runs) {
      g.fillStyle = r.color;
      g.globalAlpha = r === run ? 1 : 0.4;
      let lastX = -Infinity;
      for (const [s, v] of r.loss) {
        if (!(v > hi)) continue;
        const xx = x(s);
        if (xx - lastX < 5) continue;
        lastX = xx;
        g.beginPath(); g.moveTo(xx, pad.t + 1); g.lineTo(xx - 3, pad.t + 7); g.lineTo(xx + 3, pad.t + 7); g.fill();
      }
    }
    g.globalAlpha = 1;
  }
  const note = clipped ? `▲ ${clipped} loss point${clipped > 1 ? 's' : ''} above ${yTicks.labels[yTicks.labels.length - 1]} not drawn (a diverging run)` : '';
  if (els.chartNote.textContent !== note) els.chartNote.textContent = note;
  c.dataset.xTicks = JSON.stringify(xTicks.labels);
  c.dataset.yTicks = JSON.stringify(yTicks.labels);
  c.dataset.yMax = String(hi);
  // the highest loss point on the chart (clipped points are counted apart)
  c.dataset.lossMax = String(lossMax);
  c.dataset.clipped = String(clipped);

  // curves: loss solid, accuracy dashed with dots; older runs faded
  for (const r of runs) {
    g.globalAlpha = r === run ? 1 : 0.4;
    const faded = r === run ? 1 : 0.4;
    g.strokeStyle = r.color;
    g.setLineDash([]);
    // raw per-report loss (faint) and its exponential moving average
    g.globalAlpha = faded * 0.35;
    g.lineWidth = 1;
    g.beginPath();
    r.loss.forEach(([s, v], i) => (i ? g.lineTo(x(s), yL(v)) : g.moveTo(x(s), yL(v))));
    g.stroke();
    g.globalAlpha = faded;
    g.lineWidth = 2;
    g.beginPath();
    let ema = NaN;
    r.loss.forEach(([s, v], i) => {
      ema = Number.isFinite(ema) ? ema + 0.15 * (v - ema) : v;
      if (i) g.lineTo(x(s), yL(ema)); else g.moveTo(x(s), yL(ema));
    });
    g.stroke();
    g.lineWidth = 1.6;
    g.setLineDash([5, 4]);
    g.strokeStyle = '#7bd88f';
    if (r !== run) g.strokeStyle = r.color;
    g.beginPath();
    r.acc.forEach(([s, a], i) => (i ? g.lineTo(x(s), yA(a)) : g.moveTo(x(s), yA(a))));
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = g.strokeStyle;
    for (const [s, a] of r.acc) { g.beginPath(); g.arc(x(s), yA(a), 2.2, 0, Math.PI * 2); g.fill(); }
  }
  g.globalAlpha = 1;
  if (!runs.length) {
    g.fillStyle = '#8a97a6'; g.textAlign = 'center'; g.textBaseline = 'middle'; g.font = '13px system-ui, sans-serif';
    g.fillText(narrow ? 'press Train: loss and accuracy appear here' : 'press Train: training loss (solid, smoothed) and test accuracy (dashed) appear here', pad.l + W / 2, pad.t + H / 2);
  }
  c.dataset.points = String(run ? run.loss.length : 0);
  c.dataset.accPoints = String(run ? run.acc.length : 0);
  c.dataset.runs = String(runs.length);
}

/**
 * The loss axis: the highest loss point, unless some points are far above where the runs started
 * (more than 3x the highest of each run's first five points: a diverging run); those are left above
 * the axis (and marked) so they do not flatten the others. A run's start is always on the chart.
 */
function lossRange(runs) {
  let start = 0;
  for (const r of runs) for (const [, v] of r.loss.slice(0, 5)) if (Number.isFinite(v)) start = Math.max(start, v);
  const clipLimit = start > 0 ? 3 * start : Infinity;
  let top = 0;
  for (const r of runs) for (const [, v] of r.loss) if (Number.isFinite(v) && v <= clipLimit) top = Math.max(top, v);
  if (!(top > 0)) top = 2.5; // nothing yet: MNIST starts near ln 10 = 2.3
  return { top, clipLimit };
}
function minLoss(runs, top) {
  let m = Infinity;
  for (const r of runs) for (const [, v] of r.loss) if (v > 0 && v <= top) m = Math.min(m, v);
  return Number.isFinite(m) ? m : top / 100;
}

/** The smallest "nice" step (1, 2, 2.5, 5 x 10^k; integers: 1, 2, 5 x 10^k and at least 1) of at least `raw`. */
function niceStep(raw, integer) {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]) {
    const s = m * p;
    if (s >= raw * (1 - 1e-9)) return integer ? Math.max(1, Math.round(s)) : s;
  }
  return 10 * p;
}
/** Decimals needed to print multiples of `step` exactly (0.25 -> 2, 0.004 -> 3, 50 -> 0). */
function decimalsOf(step) {
  for (let d = 0; d < 12; d++) {
    const v = step * 10 ** d;
    if (Math.abs(v - Math.round(v)) < 1e-6 * Math.max(1, v)) return d;
  }
  return 12;
}
/**
 * Ticks from 0 to the first multiple of the step at or above `max`, about `n` of them; labels with
 * the decimals the step needs, so they are all different (never "0 0 0 1 1 1").
 */
function linTicks(max, n = 5, integer = false) {
  const step = niceStep(max / n, integer);
  let k = Math.ceil(max / step - 1e-9);
  if (k * step < max) k++;
  k = Math.max(k, 1);
  const d = integer ? 0 : decimalsOf(step);
  const values = [], labels = [];
  for (let i = 0; i <= k; i++) {
    const v = i * step;
    values.push(v);
    labels.push(integer ? Math.round(v).toLocaleString('en') : v.toFixed(d));
  }
  return { values, labels, lo: 0, hi: k * step };
}
/** Log-axis ticks at 1, 2, 5 x 10^k in [lo, hi]; linear ones inside it when that gives fewer than 2. */
function logTicks(lo, hi) {
  const values = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) { const v = m * 10 ** e; if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) values.push(v); }
  }
  if (values.length >= 2) return { values, labels: values.map((v) => String(Number(v.toPrecision(1)))), lo, hi };
  const step = niceStep((hi - lo) / 4, false);
  const d = decimalsOf(step);
  const vs = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi * (1 + 1e-9); v += step) vs.push(v);
  return { values: vs, labels: vs.map((v) => v.toFixed(d)), lo, hi };
}

new ResizeObserver(() => { chartDirty = true; }).observe(els.chart);

// ---------------------------------------------------------------- drawing pad

const pctx = els.pad.getContext('2d', { willReadFrequently: true });
let hasInk = false;
let drawing = false;
let last = null;

function clearPad() {
  pctx.fillStyle = '#000';
  pctx.fillRect(0, 0, els.pad.width, els.pad.height);
  hasInk = false;
  els.preview.getContext('2d').clearRect(0, 0, 28, 28);
  els.pred.textContent = '–';
  delete els.probs.dataset.probs;
  delete els.probs.dataset.prediction;
  renderBars(null);
}
clearPad();

function padPoint(e) {
  const r = els.pad.getBoundingClientRect();
  return [(e.clientX - r.left) * els.pad.width / r.width, (e.clientY - r.top) * els.pad.height / r.height];
}

function stroke(a, b) {
  pctx.strokeStyle = '#fff';
  pctx.fillStyle = '#fff';
  pctx.lineWidth = 20;
  pctx.lineCap = 'round';
  pctx.lineJoin = 'round';
  pctx.beginPath();
  pctx.moveTo(a[0], a[1]);
  pctx.lineTo(b[0], b[1]);
  pctx.stroke();
  hasInk = true;
}

els.pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  els.pad.setPointerCapture(e.pointerId);
  last = padPoint(e);
  stroke(last, last);
});
els.pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = padPoint(e);
  stroke(last, p);
  last = p;
});
const endStroke = () => {
  if (!drawing) return;
  drawing = false;
  if (trained || running) classify();
};
els.pad.addEventListener('pointerup', endStroke);
els.pad.addEventListener('pointercancel', endStroke);
els.clear.addEventListener('click', clearPad);
els.classify.addEventListener('click', () => classify());

/**
 * MNIST-style preprocessing: crop the ink, scale it (keeping the aspect ratio) to fit a 20x20 box
 * with area averaging, then place it in 28x28 so that its centre of mass is at the centre.
 */
function toMNIST() {
  const { width: w, height: h } = els.pad;
  const rgba = pctx.getImageData(0, 0, w, h).data;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  const gray = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const v = rgba[4 * i];
    gray[i] = v;
    if (v > 24) {
      const x = i % w, y = (i / w) | 0;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s)), th = Math.max(1, Math.round(bh * s));
  const small = new Float32Array(tw * th);
  const cnt = new Float32Array(tw * th);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(th - 1, Math.floor((y - y0) * th / bh));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(tw - 1, Math.floor((x - x0) * tw / bw));
      small[ty * tw + tx] += gray[y * w + x];
      cnt[ty * tw + tx]++;
    }
  }
  let m = 0, mx = 0, my = 0;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const i = ty * tw + tx;
      const v = cnt[i] ? small[i] / cnt[i] / 255 : 0;
      small[i] = v;
      m += v; mx += v * tx; my += v * ty;
    }
  }
  // centre of mass of the 20x20 image goes to pixel 13.5 (the centre of 28x28)
  const clamp = (v, a, b) => Math.min(b, Math.max(a, v));
  const ox = clamp(Math.round(13.5 - mx / m), 0, 28 - tw);
  const oy = clamp(Math.round(13.5 - my / m), 0, 28 - th);
  const out = new Float32Array(784);
  for (let ty = 0; ty < th; ty++) for (let tx = 0; tx < tw; tx++) out[(oy + ty) * 28 + ox + tx] = small[ty * tw + tx];
  return out;
}

let requestId = 0;
function classify() {
  const pixels = toMNIST();
  if (!pixels) return;
  const p = els.preview.getContext('2d');
  const img = p.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i] * 255);
    img.data.set([v, v, v, 255], 4 * i);
  }
  p.putImageData(img, 0, 0);
  if (!trained && !running) { setStatus('Train a model first, then the drawing is classified.'); return; }
  worker.postMessage({ type: 'predict', id: ++requestId, pixels }, [pixels.buffer]);
}

function renderBars(probs) {
  if (!els.probs.children.length) {
    for (let d = 0; d < 10; d++) {
      const row = document.createElement('div');
      row.className = 'prob';
      row.innerHTML = `<span>${d}</span><div class="track"><div class="fill"></div></div><span class="v">–</span>`;
      els.probs.append(row);
    }
  }
  let top = -1;
  if (probs) top = probs.indexOf(Math.max(...probs));
  [...els.probs.children].forEach((row, d) => {
    const v = probs ? probs[d] : 0;
    row.querySelector('.fill').style.width = `${(v * 100).toFixed(1)}%`;
    row.querySelector('.v').textContent = probs ? `${(v * 100).toFixed(1)}%` : '–';
    row.classList.toggle('top', d === top);
  });
}
renderBars(null);

function showProbs(probs, id) {
  if (id !== requestId) return; // a newer drawing is on its way
  const arr = Array.from(probs);
  const pred = arr.indexOf(Math.max(...arr));
  renderBars(arr);
  els.pred.textContent = String(pred);
  els.probs.dataset.probs = JSON.stringify(arr.map((v) => +v.toFixed(6)));
  els.probs.dataset.prediction = String(pred);
}

// For the page's tests (test/demo.node.test.ts): show the given loss curves in the chart, as runs
// would, so the axes can be checked on chosen data. Not used by the page itself.
window.ecoptDemo = {
  showRuns(list) {
    runs.length = 0;
    for (const r of list) {
      runs.push({ cfg: { model: 'mlp', optimizer: 'sgd', lr: 0 }, loss: r.loss, acc: r.acc ?? [], total: r.total, perEpoch: r.total,
        final: undefined, color: COLORS[runs.length % COLORS.length] });
    }
    run = runs[runs.length - 1] ?? null;
    updateLegend();
    drawChart();
  },
};

requestAnimationFrame(tick); // started last: drawChart() needs every declaration above
