// Minimal F32 safetensors reader/writer for the benchmark's files (8-byte header length, JSON header, data).
export function writeF32(tensors) {
  const header = {};
  let off = 0;
  for (const [k, { shape, data }] of Object.entries(tensors)) { header[k] = { dtype: 'F32', shape, data_offsets: [off, off + data.byteLength] }; off += data.byteLength; }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let p = 8 + h.length;
  for (const { data } of Object.values(tensors)) { out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p); p += data.byteLength; }
  return out;
}

export function readF32(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = {};
  for (const [k, e] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    if (e.dtype !== 'F32') throw new Error(`${k}: ${e.dtype}, expected F32`);
    const [b, en] = e.data_offsets;
    out[k] = { shape: e.shape, data: new Float32Array(Uint8Array.prototype.slice.call(bytes, 8 + n + b, 8 + n + en).buffer) };
  }
  return out;
}
