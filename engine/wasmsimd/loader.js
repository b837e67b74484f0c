// ganomaly-go's WebAssembly SIMD kernels (Go package engine/wasmsimd, which
// writes this script). Run after Go's wasm_exec.js: every Go program
// started with a new Go() then finds the imports that the engine's
// WebAssembly build (tag wasmsimd) declares (module "ganomaly"). Where the
// host has WebAssembly SIMD they run the kernels, which share the Go
// program's memory; elsewhere, or with globalThis.ganomalyNoSIMD set, they
// answer 0 and the Go code does the work. The results are the same bits
// either way.
(function () {
  "use strict";
  const Base = globalThis.Go;
  if (typeof Base !== "function" || Base.ganomalySIMD) return;
  const text = atob("MODULE_BASE64");
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  let compiled = null;
  if (!globalThis.ganomalyNoSIMD && WebAssembly.validate(bytes)) {
    compiled = WebAssembly.compile(bytes);
    compiled.catch(() => {}); // then the Go code does the work
  }
  class Go extends Base {
    constructor() {
      super();
      // Until the kernels have started (and without them) every import
      // answers 0: not done.
      let kernels = null;
      const imports = (this.importObject.ganomaly = {});
      // (A fixed arity, the most any kernel takes: no arguments array per
      // call; WebAssembly ignores the extra ones.)
      for (const name of EXPORT_NAMES) {
        imports[name] = (a, b, c, d, e, f, g, h, i, j, k, l) =>
          kernels === null ? 0 : kernels[name](a, b, c, d, e, f, g, h, i, j, k, l);
      }
      const run = this.run;
      this.run = async (instance) => {
        if (compiled) {
          try {
            const inst = await WebAssembly.instantiate(await compiled, { env: { mem: instance.exports.mem } });
            kernels = inst.exports;
          } catch (err) {
            console.warn("ganomaly: the WebAssembly SIMD kernels could not start (" + String(err) + "); the Go code does their work");
          }
        }
        return run.call(this, instance);
      };
    }
  }
  Go.ganomalySIMD = true;
  globalThis.Go = Go;
})();
