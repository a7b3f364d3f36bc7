// A worker of ecopt's thread pool (Node worker_threads or a browser module Worker): instantiates the
// shared-memory build of the kernels on the shared memory it is sent, reports ready, then serves
// GEMM column ranges until the pool block's exit flag is set (assembly/threads.ts worker_run).
//
// A trap in a job (e.g. an out-of-bounds access) is caught here: the worker records it in the pool
// block's fault field (tid+1, first worker wins), writes its message into the start of its own
// scratch (i32 length, then UTF-16 code units) for the caller to read, counts the job as done so
// the caller's join ends (and traps there), posts the message, and re-enters worker_run: the wasm
// instance stays usable after a trap.
const inNode = typeof self === 'undefined' && typeof process !== 'undefined' && !!process.versions?.node;

const MAX_MESSAGE = 400; // UTF-16 code units kept of a trap message

// The pool block's i32 slots (PoolSlot of assembly/abi.ts), read from the module's exported globals:
// this file imports nothing, so it takes the layout from the module it runs.
function poolSlots(exports) {
  const slot = (name) => {
    const g = exports[`PoolSlot.${name}`];
    if (!(g instanceof WebAssembly.Global)) throw new Error(`the module does not export PoolSlot.${name}: not an ecopt threads build of this version`);
    return g.value;
  };
  return { gen: slot('Gen'), pending: slot('Pending'), scratch: slot('Scratch'), scratchBytes: slot('ScratchBytes'), fault: slot('Fault') };
}

function recordTrap(memory, slots, pool, tid, text) {
  const v = new Int32Array(memory.buffer);
  const base = pool >> 2;
  const per = Atomics.load(v, base + slots.scratchBytes);
  const at = Atomics.load(v, base + slots.scratch) + (tid - 1) * per;
  const n = Math.min(text.length, MAX_MESSAGE, (per - 4) >> 1);
  if (at > 0 && n > 0 && at + 4 + 2 * n <= memory.buffer.byteLength) {
    const u16 = new Uint16Array(memory.buffer, at + 4, n);
    for (let i = 0; i < n; i++) u16[i] = text.charCodeAt(i);
    Atomics.store(v, at >> 2, n);
  }
  Atomics.compareExchange(v, base + slots.fault, 0, tid + 1);
}

async function start(msg, post) {
  const { module, memory, pool, tid } = msg;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort(_m, _f, line, col) { throw new Error(`ecopt worker ${tid}: wasm abort at ${line}:${col}`); },
    },
  });
  const slots = poolSlots(instance.exports);
  const gen = () => Atomics.load(new Int32Array(memory.buffer), (pool >> 2) + slots.gen);
  // the generation before ready: a job posted right after the caller sees `ready` is not missed
  let seen = gen();
  post({ ready: tid });
  for (;;) {
    try {
      instance.exports.worker_run(pool, tid, seen);
      break; // exit flag
    } catch (e) {
      // the caller posts no other job until this one is counted done, so this is the trapped job's generation
      const now = gen();
      const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}`;
      if (now === seen) {
        // not inside a job (nothing to count done): do not loop on it
        post({ error: `ecopt: pool worker ${tid} failed outside a job: ${text}` });
        return;
      }
      seen = now;
      recordTrap(memory, slots, pool, tid, text);
      const v = new Int32Array(memory.buffer);
      Atomics.sub(v, (pool >> 2) + slots.pending, 1);
      Atomics.notify(v, (pool >> 2) + slots.pending);
      post({ trapped: tid, error: text });
    }
  }
  post({ exited: tid });
}

// No top-level await and no static import: the file is valid as a classic script too, so bundlers
// that copy it as an asset (and minify it as a script, like webpack's) take it as it is.
if (inNode) {
  import('node:worker_threads').then(({ parentPort }) => {
    parentPort.once('message', (m) => { start(m, (x) => parentPort.postMessage(x)).catch((e) => parentPort.postMessage({ error: String(e) })); });
  });
} else {
  self.onmessage = (e) => { start(e.data, (x) => self.postMessage(x)).catch((err) => self.postMessage({ error: String(err) })); };
}
