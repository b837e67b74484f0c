// Runs a Go WebAssembly program (a test binary) under node like Go's
// wasm_exec_node.js, with ganomaly-go's SIMD kernels installed: the script
// named by GANOMALY_SIMD_LOADER (engine/wasmsimd/writeloader writes it) is
// loaded after Go's wasm_exec.js. GANOMALY_SIMD=0 runs the same program
// with the kernels declined (the Go code does their work).
"use strict";

if (process.argv.length < 3) {
  console.error("usage: exec.js [wasm binary] [arguments]");
  process.exit(1);
}
globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = require("path");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("performance");
globalThis.crypto ??= require("crypto");
require(path.join(process.env.GOROOT_WASM, "wasm_exec.js"));
if (process.env.GANOMALY_SIMD === "0") globalThis.ganomalyNoSIMD = true;
if (!process.env.GANOMALY_SIMD_LOADER) {
  console.error("exec.js: GANOMALY_SIMD_LOADER names no script (run it through scripts/wasm/go_js_wasm_exec)");
  process.exit(1);
}
require(path.resolve(process.env.GANOMALY_SIMD_LOADER));

const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;
WebAssembly.instantiate(fs.readFileSync(process.argv[2]), go.importObject).then((result) => {
  process.on("exit", (code) => { // node exits when no event is pending
    if (code === 0 && !go.exited) {
      // a deadlock: make Go print the error and the stacks
      go._pendingEvent = { id: 0 };
      go._resume();
    }
  });
  return go.run(result.instance);
}).catch((err) => {
  console.error(err);
  process.exit(1);
});
