// Boots the page's own program (app.wasm, which runs as the engine alone in
// a worker: wasm/engineworker) inside a Web Worker. The page sends its
// compiled WebAssembly.Module with the first message ({op: "boot", module});
// the Go program then answers {op: "booted"} and handles every later
// message through self.ganomalyWorker.
//
// A score message carries the image's bytes, or a File or Blob (blob) that
// the worker reads here, or readError when the page could not read it. Reading starts as soon as a message arrives (while the previous
// image is scored) but messages are handled strictly in order, so a model
// load sent after some images never overtakes them.
// wasm_exec.js (Go's loader) sits at the site root, one level up.
importScripts("../wasm_exec.js");

let queue = Promise.resolve();

self.onmessage = (e) => {
  const msg = e.data;
  if (msg.op === "boot") {
    queue = queue.then(async () => {
      try {
        const go = new Go();
        const inst = await WebAssembly.instantiate(msg.module, go.importObject);
        go.run(inst);
      } catch (err) {
        self.postMessage({ error: "cannot start the engine worker: " + String(err) });
      }
    });
    return;
  }
  const bytes = msg.blob ? msg.blob.arrayBuffer().then((b) => new Uint8Array(b), (err) => err) : null;
  queue = queue.then(async () => {
    if (msg.readError) {
      self.postMessage({ id: msg.id, name: msg.name, error: "could not be read (" + msg.readError + ")" });
      return;
    }
    if (bytes) {
      const b = await bytes;
      if (!(b instanceof Uint8Array)) {
        self.postMessage({ id: msg.id, name: msg.name, error: "could not be read (" + String(b) + ")" });
        return;
      }
      msg.bytes = b;
      delete msg.blob;
    }
    if (self.ganomalyWorker) {
      self.ganomalyWorker(msg);
    } else {
      self.postMessage({ op: msg.op, id: msg.id, name: msg.name, error: "the engine worker has not started" });
    }
  });
};
