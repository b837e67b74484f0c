// Engine speed in headless Chromium (scripts/bench-browser.sh): the page's
// own engine on the main thread (workers: 0), then the engine-only wasm in
// 1, 2 and 4 Web Workers scoring a batch. Prints one JSON object per line:
// model, workers, ms_per_image, gflops, images_per_s.
//
// Then, unless BENCH_ORT=0, onnxruntime-web (WebAssembly, SIMD, one thread)
// on the default model's ONNX export (`exporter -format onnx`, its I8
// weights through DequantizeLinear) side by side with the engine in the same
// page, in the same alternating rounds, on a gallery image's input tensor
// (BENCH_ORT_ROUNDS, BENCH_ORT_IMAGES override the TF.js numbers).
//
// Then, unless BENCH_TFJS=0, the same generator in TensorFlow.js 4.22 with
// its WebAssembly backend (SIMD, one thread: the page is not cross-origin
// isolated, so no SharedArrayBuffer) side by side with the engine in the
// same page, alternating rounds of BENCH_TFJS_IMAGES images (default 4) for
// BENCH_TFJS_ROUNDS rounds (default 15), warm-up excluded; the medians of
// the rounds are printed as {"engine": "tfjs-wasm" | "go", ...} lines. At
// nc 1 TF.js runs the default model's weights (I8 dequantised, BatchNorm
// already folded in the model file); at nc 3, for which the site has no
// model, random weights of the same architecture (speed does not depend on
// the values), without an engine counterpart in the page (`make bench` has
// the engine's 32×32×3 number in Chromium). TF.js and its .wasm files come
// from the npm cache (scripts/bench-browser.sh installs them) and are served
// to the page by request interception: nothing is fetched from the network.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import zlib from "node:zlib";
import path from "node:path";
import { root, siteDir, startServer, launch } from "./lib.mjs";
import { exportONNX, engineInputs, loadORT, ortVersion } from "./ort.mjs";

const images = Number(process.env.BENCH_IMAGES || 64);
const server = await startServer();
const browser = await launch();
try {
  const page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  const models = JSON.parse(fs.readFileSync(path.join(siteDir, "web/models/index.json")));
  const model = (models.find((m) => m.default) || models[0]).file;
  const main = JSON.parse(await page.evaluate((n) => window.ganomalyBench(n), Math.max(8, images / 4)));
  if (main.error) throw new Error(main.error);
  const line = (workers, msPerImage) => console.log(JSON.stringify({
    model, workers, ms_per_image: +msPerImage.toFixed(3),
    gflops: +((2 * main.macs) / (msPerImage * 1e6)).toFixed(3),
    images_per_s: +(1000 / msPerImage).toFixed(2),
  }));
  line(0, main.ms / main.n);
  for (const workers of [1, 2, 4]) {
    const ms = await page.evaluate(async ({ workers, images, model }) => {
      const wasm = await WebAssembly.compileStreaming(fetch("web/app.wasm"));
      const modelBytes = new Uint8Array(await (await fetch("web/models/" + model)).arrayBuffer());
      const gal = await (await fetch("web/gallery/index.json")).json();
      const img = new Uint8Array(await (await fetch("web/gallery/" + gal[0].file)).arrayBuffer());
      const ws = [];
      const call = (w, msg) => new Promise((resolve, reject) => {
        w.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
        w.postMessage(msg);
      });
      for (let i = 0; i < workers; i++) {
        const w = new Worker("web/worker.js");
        await call(w, { op: "boot", module: wasm });
        await call(w, { op: "load", bytes: modelBytes });
        await call(w, { op: "score", name: "warm-up", bytes: img });
        ws.push(w);
      }
      const t0 = performance.now();
      let next = 0;
      await Promise.all(ws.map(async (w) => {
        while (next < images) { next++; await call(w, { op: "score", name: "b", bytes: img }); }
      }));
      const ms = performance.now() - t0;
      ws.forEach((w) => w.terminate());
      return ms;
    }, { workers, images, model });
    line(workers, ms / images);
  }
  if (process.env.BENCH_TFJS !== "0") {
    await tfjsSideBySide(page, path.join(siteDir, "web/models", model), main.macs);
  }
  if (process.env.BENCH_ORT !== "0") {
    await ortSideBySide(page, path.join(siteDir, "web/models", model), main.macs);
  }
} finally {
  await browser.close();
  server.stop();
}

// readModel returns the architecture and the float32 weights of a model file
// (safetensors; I8 tensors multiplied by their broadcast "_scale" tensor).
function readModel(file) {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString());
  const meta = JSON.parse(header.__metadata__.ganomaly);
  const data = b.subarray(8 + n);
  const raw = (name) => {
    const t = header[name];
    if (!t) throw new Error(`${file}: no tensor ${name}`);
    const [s, e] = t.data_offsets;
    const bytes = data.subarray(s, e);
    if (t.dtype === "F32") return Float32Array.from({ length: (e - s) / 4 }, (_, i) => bytes.readFloatLE(4 * i));
    if (t.dtype === "I8") return Float32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, e - s));
    throw new Error(`${file}: tensor ${name} is ${t.dtype}; the benchmark reads F32 and I8`);
  };
  const tensor = (name) => {
    const v = raw(name);
    const t = header[name];
    if (t.dtype === "I8") {
      const sc = raw(name + "_scale");
      const sshape = header[name + "_scale"].shape;
      const axis = sshape.findIndex((d) => d > 1);
      const inner = t.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
      for (let i = 0; i < v.length; i++) v[i] *= sc.length === 1 ? sc[0] : sc[Math.floor(i / inner) % sc.length];
    }
    return { v, shape: t.shape };
  };
  return { arch: meta.arch, tensor };
}

// generatorLayers lists E1, the decoder and E2 as engine/arch.go does (no
// extra layers): name, op, channels, kernel, stride, padding, activation.
function generatorLayers(a) {
  if (a.extralayers) throw new Error("the TF.js comparison covers models without extra layers");
  const enc = (part) => {
    const ls = [];
    let size = a.isize / 2, c = a.ngf;
    ls.push({ name: `${part}.main.initial-conv-${a.nc}-${c}`, op: "conv", inC: a.nc, outC: c, k: 4, s: 2, p: 1, act: "leaky" });
    while (size > 4) {
      ls.push({ name: `${part}.main.pyramid-${c}-${2 * c}-conv`, op: "conv", inC: c, outC: 2 * c, k: 4, s: 2, p: 1, act: "leaky" });
      c *= 2; size /= 2;
    }
    ls.push({ name: `${part}.main.final-${c}-1-conv`, op: "conv", inC: c, outC: a.nz, k: 4, s: 1, p: 0, act: "none" });
    return ls;
  };
  const dec = [];
  let c = a.ngf * a.isize / 8, size = 4;
  dec.push({ name: `decoder.main.initial-${a.nz}-${c}-convt`, op: "convt", inC: a.nz, outC: c, k: 4, s: 1, p: 0, act: "relu" });
  while (size < a.isize / 2) {
    dec.push({ name: `decoder.main.pyramid-${c}-${c / 2}-convt`, op: "convt", inC: c, outC: c / 2, k: 4, s: 2, p: 1, act: "relu" });
    c /= 2; size *= 2;
  }
  dec.push({ name: `decoder.main.final-${c}-${a.nc}-convt`, op: "convt", inC: c, outC: a.nc, k: 4, s: 2, p: 1, act: "tanh" });
  return [...enc("encoder1"), ...dec, ...enc("encoder2")];
}

// packWeights converts PyTorch weights to TF.js filters (conv: [out, in, k,
// k] -> [k, k, in, out]; transposed conv: [in, out, k, k] -> [k, k, out, in])
// in one float32 buffer; get(name) returns {v, shape} or random weights.
function packWeights(layers, get) {
  const parts = [];
  let off = 0;
  for (const l of layers) {
    const { v } = get(l.name + ".weight", l.op === "conv" ? [l.outC, l.inC, l.k, l.k] : [l.inC, l.outC, l.k, l.k]);
    const [d0, d1] = l.op === "conv" ? [l.outC, l.inC] : [l.inC, l.outC];
    const f = new Float32Array(v.length);
    for (let a = 0; a < d0; a++) for (let b = 0; b < d1; b++) for (let y = 0; y < l.k; y++) for (let x = 0; x < l.k; x++) {
      const src = ((a * d1 + b) * l.k + y) * l.k + x;
      // conv: a = out, b = in -> [y][x][in][out]; convt: a = in, b = out -> [y][x][out][in]
      f[((y * l.k + x) * d1 + b) * d0 + a] = v[src];
    }
    const bias = get(l.name + ".bias", [l.outC]).v;
    l.wo = off; l.wn = f.length; off += 4 * f.length;
    l.bo = off; off += 4 * bias.length;
    parts.push(f, bias);
  }
  const buf = new Float32Array(off / 4);
  let i = 0;
  for (const p of parts) { buf.set(p, i); i += p.length; }
  return Buffer.from(buf.buffer);
}

function randomWeights(seed) {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  return (name, shape) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = name.endsWith(".bias") ? 0 : 0.02 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    return { v, shape };
  };
}

// greyPNG encodes a size×size 8-bit grey image (pixels: Uint8Array).
function greyPNG(size, pixels) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const td = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), no interlace
  const rows = Buffer.alloc(size * (size + 1));
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rows[y * (size + 1) + 1 + x] = pixels[y * size + x];
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

// cliScore scores one image file with the CLI (the engine, natively).
function cliScore(model, file) {
  const bin = process.env.GANOMALY_BIN;
  const args = ["score", "-format", "json", "-model", model, file];
  const opts = { cwd: root, stdio: ["ignore", "pipe", "pipe"] };
  const out = bin ? execFileSync(bin, args, opts) : execFileSync("go", ["run", "./cmd/ganomaly", ...args], opts);
  return JSON.parse(out.toString()).find((r) => r.path !== undefined).score;
}

async function tfjsSideBySide(page, modelFile, macs1) {
  const npm = process.env.GANOMALY_NPM || path.join(os.homedir(), ".cache/ganomaly-go/npm/node_modules");
  const tfDir = path.join(npm, "@tensorflow/tfjs/dist"), wasmDir = path.join(npm, "@tensorflow/tfjs-backend-wasm/dist");
  for (const f of [path.join(tfDir, "tf.min.js"), path.join(wasmDir, "tf-backend-wasm.min.js")]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run scripts/bench-browser.sh (it installs TensorFlow.js 4.22 into the npm cache) or set BENCH_TFJS=0`);
  }
  const version = JSON.parse(fs.readFileSync(path.join(npm, "@tensorflow/tfjs/package.json"))).version;
  const m = readModel(modelFile);
  const configs = [
    { nc: m.arch.nc, arch: m.arch, get: (name) => m.tensor(name), weights: "default model" },
    { nc: 3, arch: { ...m.arch, nc: 3 }, get: randomWeights(3), weights: "random" },
  ].filter((c, i, all) => all.findIndex((d) => d.nc === c.nc) === i);
  const bins = {};
  for (const c of configs) {
    c.layers = generatorLayers(c.arch);
    bins[`weights-${c.nc}.bin`] = packWeights(c.layers, c.get);
  }
  await page.route("**/__tfjs/*", (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    if (bins[name]) return route.fulfill({ body: bins[name], contentType: "application/octet-stream" });
    const file = name.endsWith(".wasm") ? path.join(wasmDir, name) : name === "tf.min.js" ? path.join(tfDir, name) : path.join(wasmDir, name);
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: "not found" });
    return route.fulfill({ path: file, contentType: name.endsWith(".wasm") ? "application/wasm" : "text/javascript" });
  });
  await page.addScriptTag({ url: "/__tfjs/tf.min.js" });
  await page.addScriptTag({ url: "/__tfjs/tf-backend-wasm.min.js" });
  const rounds = Number(process.env.BENCH_TFJS_ROUNDS || 15), per = Number(process.env.BENCH_TFJS_IMAGES || 4);
  // The check that TF.js runs the same network: a grey 32×32 test pattern
  // (no resize; x = (p/255 − mean)/std) scored by the CLI and by TF.js.
  const size = m.arch.isize;
  const pixels = Uint8Array.from({ length: size * size }, (_, i) => {
    const y = Math.floor(i / size) - size / 2, x = (i % size) - size / 2;
    return Math.round(255 * Math.exp(-((x * x) / 40 + (y * y) / 90)) * (0.6 + 0.4 * Math.cos(x / 3)));
  });
  const pngFile = path.join(os.tmpdir(), `ganomaly-bench-${process.pid}.png`);
  fs.writeFileSync(pngFile, greyPNG(size, pixels));
  const norm = JSON.parse(JSON.parse(fs.readFileSync(modelFile).subarray(8, 8 + Number(fs.readFileSync(modelFile).readBigUInt64LE(0))).toString()).__metadata__.ganomaly).normalization;
  let cli;
  try {
    cli = cliScore(modelFile, pngFile);
  } finally {
    fs.rmSync(pngFile, { force: true });
  }
  const checkX = Array.from(pixels, (p) => (p / 255 - norm.mean[0]) / norm.std[0]);
  for (const c of configs) {
    const r = await page.evaluate(async ({ layers, nc, isize, rounds, per, engineToo, bin, checkX }) => {
      const tf = window.tf;
      tf.wasm.setWasmPaths("/__tfjs/");
      if (!(await tf.setBackend("wasm"))) throw new Error("TF.js wasm backend did not initialise");
      await tf.ready();
      const info = {
        backend: tf.getBackend(),
        simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"),
        threads: await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"),
      };
      const buf = await (await fetch("/__tfjs/" + bin)).arrayBuffer();
      const ws = layers.map((l) => ({
        ...l,
        w: tf.tensor4d(new Float32Array(buf, l.wo, l.wn), l.op === "conv" ? [l.k, l.k, l.inC, l.outC] : [l.k, l.k, l.outC, l.inC]),
        b: tf.tensor1d(new Float32Array(buf, l.bo, l.outC)),
      }));
      const nEnc = layers.findIndex((l) => l.op === "convt");
      const forward = (x) => tf.tidy(() => {
        let h = x, latI;
        let size = isize;
        ws.forEach((l, i) => {
          const pad = l.p === 0 ? "valid" : "same";
          if (l.op === "conv") {
            h = tf.fused.conv2d({ x: h, filter: l.w, strides: l.s, pad, bias: l.b,
              activation: l.act === "leaky" ? "leakyrelu" : "linear", leakyreluAlpha: 0.2 });
            size = l.p === 0 ? 1 : size / 2;
          } else {
            size = l.p === 0 ? 4 : size * 2;
            h = tf.add(tf.conv2dTranspose(h, l.w, [1, size, size, l.outC], l.s, pad), l.b);
            h = l.act === "relu" ? tf.relu(h) : tf.tanh(h);
          }
          if (i === nEnc - 1) latI = h;
        });
        return tf.mean(tf.squaredDifference(latI, h)); // the anomaly score
      });
      const check = checkX ? forward(tf.tensor4d(checkX, [1, isize, isize, 1])).dataSync()[0] : null;
      const x = tf.randomUniform([1, isize, isize, nc], -1, 1, "float32", 7);
      for (let i = 0; i < 3; i++) forward(x).dataSync(); // warm-up
      const tfMs = [], goMs = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        for (let i = 0; i < per; i++) forward(x).dataSync();
        tfMs.push((performance.now() - t0) / per);
        if (engineToo) {
          const g = JSON.parse(window.ganomalyBench(per));
          if (g.error) throw new Error(g.error);
          goMs.push(g.ms / g.n);
        }
      }
      const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[Math.floor(s.length / 2)]; };
      return { ...info, check, tf: med(tfMs), tfMin: Math.min(...tfMs), go: goMs.length ? med(goMs) : null, goMin: goMs.length ? Math.min(...goMs) : null };
    }, { layers: c.layers, nc: c.nc, isize: c.arch.isize, rounds, per, engineToo: c.nc === m.arch.nc, bin: `weights-${c.nc}.bin`,
      checkX: c.nc === m.arch.nc && c.nc === 1 ? checkX : null });
    let check = {};
    if (r.check !== null) {
      // TF.js sums in another order (float32): the scores agree to about
      // 1e-5 relative; a wrong layout or tap would change them entirely.
      const rel = Math.abs(r.check - cli) / Math.abs(cli);
      if (!(rel < 1e-3)) throw new Error(`TF.js does not compute the same network: score ${r.check}, CLI ${cli}`);
      check = { check_tfjs_score: r.check, check_cli_score: cli, check_rel_diff: +rel.toExponential(2) };
    }
    // Every line keeps the fields of the engine's lines (CONTRACTS.md):
    // one image at a time on the page's main thread is workers 0.
    const common = { model: `${c.arch.isize}x${c.arch.isize}x${c.nc}`, workers: 0, weights: c.weights, rounds, images_per_round: per };
    const ips = (ms) => +(1000 / ms).toFixed(2);
    const gf = (ms) => +((2 * macs1 * (c.nc === m.arch.nc ? 1 : macsRatio(c.arch, m.arch))) / (ms * 1e6)).toFixed(3);
    console.log(JSON.stringify({ engine: `tfjs-wasm ${version}`, ...common, backend: r.backend, simd: r.simd, threads: r.threads,
      ms_per_image: +r.tf.toFixed(3), min_ms_per_image: +r.tfMin.toFixed(3), gflops: gf(r.tf), images_per_s: ips(r.tf), ...check }));
    if (r.go !== null) {
      console.log(JSON.stringify({ engine: "go", ...common, ms_per_image: +r.go.toFixed(3), min_ms_per_image: +r.goMin.toFixed(3),
        gflops: gf(r.go), images_per_s: ips(r.go), tfjs_over_go: +(r.tf / r.go).toFixed(3) }));
    }
  }
}

// macsRatio is the ratio of two architectures' multiply-adds (only the first
// convolution and the last transposed convolution depend on nc).
function macsRatio(a, b) {
  const count = (x) => {
    let s = 0, size = x.isize;
    for (const l of generatorLayers(x)) {
      if (l.op === "conv") { const out = l.p === 0 ? 1 : size / 2; s += l.inC * l.outC * l.k * l.k * out * out; size = out; }
      else { const inH = l.p === 0 ? 1 : size; s += l.inC * l.outC * l.k * l.k * inH * inH; size = l.p === 0 ? 4 : size * 2; }
    }
    return s;
  };
  return count(a) / count(b);
}

// ortSideBySide times onnxruntime-web against the engine in alternating
// rounds of one image per call, after checking that ORT's score of the input
// equals the engine's.
async function ortSideBySide(page, modelFile, macs) {
  const onnxFile = exportONNX(modelFile);
  try {
    await loadORT(page, onnxFile);
    const { arch } = readModel(modelFile);
    const gal = JSON.parse(fs.readFileSync(path.join(siteDir, "web/gallery/index.json")));
    const [ref] = engineInputs(modelFile, [path.join(siteDir, "web/gallery", gal[0].file)]);
    const rounds = Number(process.env.BENCH_ORT_ROUNDS || process.env.BENCH_TFJS_ROUNDS || 15);
    const per = Number(process.env.BENCH_ORT_IMAGES || process.env.BENCH_TFJS_IMAGES || 4);
    const r = await page.evaluate(async ({ x, isize, nc, rounds, per }) => {
      const ort = window.ort, s = window.ortSession;
      const feed = { x: new ort.Tensor("float32", Float32Array.from(x), [1, nc, isize, isize]) };
      const check = (await s.run(feed)).score.data[0];
      for (let i = 0; i < 3; i++) await s.run(feed); // warm-up
      const ortMs = [], goMs = [];
      for (let k = 0; k < rounds; k++) {
        const t0 = performance.now();
        for (let i = 0; i < per; i++) await s.run(feed);
        ortMs.push((performance.now() - t0) / per);
        const g = JSON.parse(window.ganomalyBench(per));
        if (g.error) throw new Error(g.error);
        goMs.push(g.ms / g.n);
      }
      const med = (a) => { const t = [...a].sort((p, q) => p - q); return t[Math.floor(t.length / 2)]; };
      return { check, ort: med(ortMs), ortMin: Math.min(...ortMs), go: med(goMs), goMin: Math.min(...goMs) };
    }, { x: ref.x, isize: arch.isize, nc: arch.nc, rounds, per });
    const rel = Math.abs(r.check - ref.score) / Math.abs(ref.score);
    if (!(rel < 1e-4)) throw new Error(`onnxruntime-web does not compute the same network: score ${r.check}, engine ${ref.score}`);
    const common = { model: `${arch.isize}x${arch.isize}x${arch.nc}`, workers: 0, weights: "default model", rounds, images_per_round: per };
    const gf = (ms) => +((2 * macs) / (ms * 1e6)).toFixed(3);
    const ips = (ms) => +(1000 / ms).toFixed(2);
    console.log(JSON.stringify({ engine: `onnxruntime-web ${ortVersion()}`, ...common, backend: "wasm", threads: 1,
      ms_per_image: +r.ort.toFixed(3), min_ms_per_image: +r.ortMin.toFixed(3), gflops: gf(r.ort), images_per_s: ips(r.ort),
      check_ort_score: r.check, check_engine_score: ref.score, check_rel_diff: +rel.toExponential(2) }));
    console.log(JSON.stringify({ engine: "go", ...common, ms_per_image: +r.go.toFixed(3), min_ms_per_image: +r.goMin.toFixed(3),
      gflops: gf(r.go), images_per_s: ips(r.go), ort_over_go: +(r.ort / r.go).toFixed(3) }));
  } finally {
    fs.rmSync(path.dirname(onnxFile), { recursive: true, force: true });
  }
}
