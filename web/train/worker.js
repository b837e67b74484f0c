// Boots the Train view's WebAssembly trainer (wasm/trainworker) inside a Web
// Worker. The page sends {op: "boot", module} with the compiled
// web/train/trainer.wasm; the Go program answers {op: "booted"} and handles
// every later message through self.ganomalyTrain. Loaded only when the Train
// view is opened. wasm_exec.js (Go's loader) sits at the site root.
importScripts("../../wasm_exec.js");

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.op === "boot") {
    try {
      const go = new Go();
      const inst = await WebAssembly.instantiate(msg.module, go.importObject);
      go.run(inst);
    } catch (err) {
      self.postMessage({ op: "error", error: "cannot start the training worker: " + String(err) });
    }
    return;
  }
  if (self.ganomalyTrain) {
    self.ganomalyTrain(msg);
  } else {
    self.postMessage({ op: "error", error: "the training worker has not started" });
  }
};
