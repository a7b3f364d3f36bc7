// A worker of ecopt's thread pool (Node worker_threads or a browser module Worker): instantiates the
// shared-memory build of the kernels on the shared memory it is sent, reports ready, then serves
// GEMM column ranges until the pool block's exit flag is set (assembly/threads.ts worker_run).
const inNode = typeof self === 'undefined' && typeof process !== 'undefined' && !!process.versions?.node;

async function start(msg, post) {
  const { module, memory, pool, tid } = msg;
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort(_m, _f, line, col) { throw new Error(`ecopt worker ${tid}: wasm abort at ${line}:${col}`); },
    },
  });
  post({ ready: tid });
  instance.exports.worker_run(pool, tid);
  post({ exited: tid });
}

if (inNode) {
  const { parentPort } = await import('node:worker_threads');
  parentPort.once('message', (m) => { start(m, (x) => parentPort.postMessage(x)).catch((e) => parentPort.postMessage({ error: String(e) })); });
} else {
  self.onmessage = (e) => { start(e.data, (x) => self.postMessage(x)).catch((err) => self.postMessage({ error: String(err) })); };
}
