// onnxruntime-web in the test page: the ONNX export of a model file (made
// with `exporter -format onnx`) and ORT's WebAssembly files, served to the
// page by request interception from the npm cache (scripts/test-browser.sh
// installs onnxruntime-web there, never into the repo): nothing is fetched
// from the network. Used by onnx.test.mjs and bench.mjs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root } from "./lib.mjs";

const npm = process.env.GANOMALY_NPM || path.join(os.homedir(), ".cache/ganomaly-go/npm/node_modules");
const ortDir = path.join(npm, "onnxruntime-web/dist");

// ortVersion is the installed onnxruntime-web's version.
export function ortVersion() {
  return JSON.parse(fs.readFileSync(path.join(npm, "onnxruntime-web/package.json"))).version;
}

// exportONNX writes the ONNX export of a model file into a temporary folder
// and returns its path.
export function exportONNX(model, ...flags) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ganomaly-onnx-")), path.basename(model).replace(/\.safetensors$/, "") + ".onnx");
  const bin = process.env.EXPORTER_BIN;
  const args = ["-format", "onnx", "-checkpoint", model, "-out", out, ...flags];
  const opts = { cwd: root, stdio: ["ignore", "pipe", "pipe"] };
  if (bin) execFileSync(bin, args, opts);
  else execFileSync("go", ["run", "./exporter", ...args], opts);
  return out;
}

// engineInputs returns, for each image file, the engine's input tensor x
// (preprocessed as `ganomaly score` does) and its outputs, from
// tests/python/goforward.
export function engineInputs(model, files) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ganomaly-forward-")), "engine.json");
  const args = ["-model", model, "-images", "-out", out, ...files];
  const opts = { cwd: root, stdio: ["ignore", "pipe", "pipe"] };
  const bin = process.env.GOFORWARD_BIN;
  if (bin) execFileSync(bin, args, opts);
  else execFileSync("go", ["run", "./tests/python/goforward", ...args], opts);
  const cases = JSON.parse(fs.readFileSync(out)).cases;
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return cases;
}

// loadORT adds onnxruntime-web (its WebAssembly build, one thread: the page
// is not cross-origin isolated) to the page and creates an inference session
// on onnxFile as window.ortSession.
export async function loadORT(page, onnxFile) {
  const script = path.join(ortDir, "ort.wasm.min.js");
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run scripts/test-browser.sh (it installs onnxruntime-web into the npm cache)`);
  await page.route("**/__ort/*", (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    if (name === "model.onnx") return route.fulfill({ path: onnxFile, contentType: "application/octet-stream" });
    const file = path.join(ortDir, name);
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: "not found" });
    const type = name.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return route.fulfill({ path: file, contentType: type });
  });
  await page.addScriptTag({ url: "/__ort/ort.wasm.min.js" });
  return page.evaluate(async () => {
    const ort = window.ort;
    ort.env.wasm.wasmPaths = "/__ort/";
    ort.env.wasm.numThreads = 1;
    const bytes = new Uint8Array(await (await fetch("/__ort/model.onnx")).arrayBuffer());
    window.ortSession = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    return { inputs: window.ortSession.inputNames, outputs: window.ortSession.outputNames };
  });
}
