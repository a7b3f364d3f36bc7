// Writes bench/infer/onnx/<net>.onnx for the inference-latency benchmark from the same weights the
// benchmark gives ecopt (bench/infer/models.mjs): ecopt's model.toSafetensors() -> torch.nn module
// (test/torch/torch_ref.py) -> torch.onnx.export, by scripts/export-onnx.py with Debian's python3-torch.
// Checks torch's logits against ecopt's predict() on 4 seeded inputs, and records each file's weight
// digest, size and the check in bench/infer/onnx/manifest.json (run.mjs refuses stale files).
//   npm run build && node bench/infer/export.mjs [--python /usr/bin/python3] [--nets mlp,cnn,resnet20]
import { mkdtempSync, writeFileSync, readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NETS, buildEcopt, weightsDigest, inputs } from './models.mjs';
import { writeF32, readF32 } from './safetensors.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const python = opt('--python', '/usr/bin/python3');
const nets = opt('--nets', Object.keys(NETS).join(',')).split(',');
const E = await import(join(root, 'dist/index.js'));
await E.init({ threads: 1 });
const tmp = mkdtempSync(join(tmpdir(), 'ecopt-onnx-'));
const manifestPath = join(root, 'bench/infer/onnx/manifest.json');
let manifest = {};
try { manifest = JSON.parse(readFileSync(manifestPath, 'utf8')); } catch { /* first export */ }
const version = JSON.parse(execFileSync(python, ['-c', 'import json, torch; print(json.dumps({"torch": torch.__version__}))']).toString());
for (const net of nets) {
  const m = buildEcopt(E, net);
  const st = join(tmp, `${net}.safetensors`), chk = join(tmp, `${net}-check.safetensors`), out = join(root, `bench/infer/onnx/${net}.onnx`);
  writeFileSync(st, m.toSafetensors());
  const B = 4, x = inputs(E, net, B);
  writeFileSync(chk, writeF32({ x: { shape: [B, ...NETS[net].inputShape], data: x } }));
  const log = execFileSync(python, [join(root, 'scripts/export-onnx.py'), st, out, chk], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  const torchLogits = readF32(readFileSync(chk)).logits.data;
  const ours = m.predict(x, B);
  let maxAbs = 0, maxRef = 0;
  for (let i = 0; i < ours.length; i++) { maxAbs = Math.max(maxAbs, Math.abs(ours[i] - torchLogits[i])); maxRef = Math.max(maxRef, Math.abs(torchLogits[i])); }
  const ok = maxAbs <= 1e-4 * Math.max(1, maxRef);
  manifest[net] = { name: NETS[net].name, parameters: m.parameterCount, weightsSha256: weightsDigest(m), onnxBytes: statSync(out).size, torch: version.torch, opset: 13,
    check: { inputs: B, maxAbsDiffVsTorch: maxAbs, maxAbsLogit: maxRef, ok } };
  console.log(`${net}: ${log}; ecopt predict vs torch on ${B} inputs: max |diff| ${maxAbs.toExponential(2)} (max |logit| ${maxRef.toFixed(2)}) ${ok ? 'ok' : 'MISMATCH'}`);
  if (!ok) process.exitCode = 1;
  m.dispose();
}
writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
rmSync(tmp, { recursive: true, force: true });
console.log(`wrote ${manifestPath}`);
