// Main thread of the demo: the form, the live chart (canvas, drawn here), the drawing pad and the
// probability bars. All training and inference happens in worker.js.

const $ = (id) => document.getElementById(id);
const els = {
  form: $('controls'), train: $('train'), stop: $('stop'), status: $('status'), result: $('result'), bar: $('bar'),
  loss: $('loss'), acc: $('acc'), step: $('step'), sps: $('sps'),
  chart: $('chart'), legend: $('legend'), logscale: $('logscale'),
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
const presets = {
  model: params.get('model'),
  optimizer: params.get('opt') ?? params.get('optimizer'),
  lr: params.get('lr'),
  epochs: params.get('epochs'),
  batchSize: params.get('batch'),
  trainLimit: params.get('limit') ?? (quick ? '4000' : null),
  maxSteps: params.get('steps') ?? (quick ? '200' : null),
  evalSize: params.get('eval') ?? (quick ? '500' : null),
};
for (const [name, v] of Object.entries(presets)) if (v !== null && els.form.elements[name]) els.form.elements[name].value = v;
const seed = Number(params.get('seed') ?? 0);

function readConfig() {
  const f = els.form.elements;
  const num = (n) => Number(f[n].value);
  return {
    model: f.model.value, optimizer: f.optimizer.value, lr: num('lr'), epochs: num('epochs'), batchSize: num('batchSize'),
    trainLimit: num('trainLimit'), maxSteps: num('maxSteps'), evalSize: num('evalSize'), seed,
  };
}

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
    case 'ready':
      ready = true;
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
worker.postMessage({ type: 'load', threads });

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
  const cssH = Math.round(cssW * 300 / 640);
  if (c.width !== Math.round(cssW * dpr)) { c.width = Math.round(cssW * dpr); c.height = Math.round(cssH * dpr); }
  const g = c.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cssW, cssH);
  const pad = { l: 48, r: 48, t: 14, b: 30 };
  const W = cssW - pad.l - pad.r, H = cssH - pad.t - pad.b;
  const log = els.logscale.checked;

  // axes ranges over every visible run
  let maxStep = 1, maxLoss = 0, minLoss = Infinity;
  for (const r of runs) {
    maxStep = Math.max(maxStep, r.total, ...r.loss.map((p) => p[0]));
    for (const [, v] of r.loss) if (Number.isFinite(v)) { maxLoss = Math.max(maxLoss, v); minLoss = Math.min(minLoss, v); }
  }
  if (!(maxLoss > 0)) { maxLoss = 2.5; minLoss = 0.01; }
  // a diverging run must not flatten the others: clip the linear axis near the 95th percentile
  const all = runs.flatMap((r) => r.loss.map((p) => p[1])).filter(Number.isFinite).sort((p, q) => p - q);
  const p95 = all.length ? all[Math.floor(0.95 * (all.length - 1))] : maxLoss;
  const lo = log ? Math.max(1e-3, Math.min(minLoss, maxLoss / 10)) : 0;
  const hi = log ? maxLoss * 1.2 : niceCeil(Math.min(maxLoss, Math.max(2.5, 1.5 * p95)));
  const x = (s) => pad.l + (s / maxStep) * W;
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
  const ticks = log ? logTicks(lo, hi) : linTicks(hi);
  for (const v of ticks) {
    const yy = Math.round(yL(v)) + 0.5;
    g.beginPath(); g.moveTo(pad.l, yy); g.lineTo(pad.l + W, yy); g.stroke();
    g.textAlign = 'right'; g.fillText(fmt(v), pad.l - 6, yy);
  }
  g.textAlign = 'left';
  for (let a = 0; a <= 1.0001; a += 0.25) g.fillText(`${Math.round(a * 100)}%`, pad.l + W + 6, yA(a));
  g.textAlign = 'center'; g.textBaseline = 'top';
  for (const s of linTicks(maxStep, 6)) g.fillText(String(Math.round(s)), x(s), pad.t + H + 8);
  g.fillText('step', pad.l + W / 2, pad.t + H + 18 > cssH - 12 ? cssH - 12 : pad.t + H + 18);
  g.save();
  g.translate(12, pad.t + H / 2); g.rotate(-Math.PI / 2); g.textBaseline = 'middle';
  g.fillText(log ? 'loss (log)' : 'loss', 0, 0);
  g.restore();
  g.save();
  g.translate(cssW - 8, pad.t + H / 2); g.rotate(Math.PI / 2); g.textBaseline = 'middle';
  g.fillText('test accuracy', 0, 0);
  g.restore();
  g.strokeStyle = '#3a4654';
  g.strokeRect(pad.l + 0.5, pad.t + 0.5, W, H);

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
    g.fillText('press Train: training loss (solid, smoothed) and test accuracy (dashed) appear here', pad.l + W / 2, pad.t + H / 2);
  }
  c.dataset.points = String(run ? run.loss.length : 0);
  c.dataset.accPoints = String(run ? run.acc.length : 0);
  c.dataset.runs = String(runs.length);
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
function linTicks(hi, n = 5) {
  const step = niceCeil(hi / n);
  const out = [];
  for (let v = 0; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}
function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) { const v = m * 10 ** e; if (v >= lo && v <= hi) out.push(v); }
  }
  return out;
}
const fmt = (v) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(1));

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

requestAnimationFrame(tick); // started last: drawChart() needs every declaration above
