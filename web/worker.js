// Boots the engine-only wasm (wasm/worker) inside a Web Worker. The page
// compiles worker.wasm once and sends the WebAssembly.Module with the first
// message ({op: "boot", module}); the Go program then answers {op: "booted"}
// and handles every later message through self.ganomalyWorker.
// wasm_exec.js (Go's loader) sits at the site root, one level up.
importScripts("../wasm_exec.js");

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.op === "boot") {
    try {
      const go = new Go();
      const inst = await WebAssembly.instantiate(msg.module, go.importObject);
      go.run(inst);
    } catch (err) {
      self.postMessage({ error: "cannot start the engine worker: " + String(err) });
    }
    return;
  }
  if (self.ganomalyWorker) {
    self.ganomalyWorker(msg);
  } else {
    self.postMessage({ error: "the engine worker has not started" });
  }
};
