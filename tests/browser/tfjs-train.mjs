// TensorFlow.js training GANomaly in the page, for make bench-train
// (tests/browser/bench-train.mjs): the class demo's network (NetG =
// encoder, decoder, encoder; NetD; isize 32, nc 1, nz 100, ngf = ndf = 16,
// the reference initialisation), its losses (errG = 1·adv + 50·con + 1·enc
// with adv the L2 between D's features of x and x̂; errD = ½(BCE(D(x), 1) +
// BCE(D(x̂), 0)) on x̂ made before the G step; D re-initialised when errD <
// 1e-5) and Adam (lr 2e-4, betas 0.5/0.999, eps 1e-8), BatchNorm in
// training mode with its running statistics updated as PyTorch does. The
// batch is random values in [-1, 1] (the speed does not depend on them).
//
// TF.js 4.22 comes from the npm cache (scripts/bench-train.sh installs it)
// and is served to this page only, by request interception; the site does
// not contain it. The caller tries each backend in turn: wasm (SIMD; threads
// only in a cross-origin-isolated page), optionally with the one training
// kernel it lacks added here (filterGrad), webgl, cpu; a backend that cannot
// train reports why (the error TF.js gives) instead of images/s.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const tfjsVersion = "4.22.0";

function npmDir() {
  return process.env.GANOMALY_NPM || path.join(os.homedir(), ".cache/ganomaly-go/npm/node_modules");
}

// loadTFJS serves tf.min.js and the wasm backend under /__tfjs/ and adds
// them to the page.
export async function loadTFJS(page) {
  const npm = npmDir();
  const tfDir = path.join(npm, "@tensorflow/tfjs/dist"), wasmDir = path.join(npm, "@tensorflow/tfjs-backend-wasm/dist");
  for (const f of [path.join(tfDir, "tf.min.js"), path.join(wasmDir, "tf-backend-wasm.min.js")]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run scripts/bench-train.sh (it installs TensorFlow.js ${tfjsVersion} into the npm cache) or set BENCH_TFJS=0`);
  }
  const version = JSON.parse(fs.readFileSync(path.join(npm, "@tensorflow/tfjs/package.json"))).version;
  await page.route("**/__tfjs/*", (route) => {
    const name = path.basename(new URL(route.request().url()).pathname);
    const file = name === "tf.min.js" ? path.join(tfDir, name) : path.join(wasmDir, name);
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: "not found" });
    return route.fulfill({ path: file, contentType: name.endsWith(".wasm") ? "application/wasm" : "text/javascript" });
  });
  await page.addScriptTag({ url: "/__tfjs/tf.min.js" });
  await page.addScriptTag({ url: "/__tfjs/tf-backend-wasm.min.js" });
  return version;
}

// trainTFJS trains on backend for at least minSeconds after warm-up steps
// (and at least minSteps steps) and returns {backend, images_per_s, ...} or
// {backend, error}.
export async function trainTFJS(page, backend, { filterGrad = false, batch = 64, isize = 32, nc = 1, nz = 100, ngf = 16, warmup = 2, minSteps = 3, minSeconds = 20, maxSteps = 40 } = {}) {
  return page.evaluate(async (o) => {
    const tf = window.tf;
    const info = { backend: o.backend };
    try {
      if (o.backend === "wasm") tf.wasm.setWasmPaths("/__tfjs/");
      if (o.filterGrad && !tf.getKernel("Conv2DBackpropFilter", "wasm")) {
        // TF.js's wasm backend has no Conv2DBackpropFilter kernel, which the
        // gradient of every conv2d and conv2dTranspose filter needs. This one
        // is built from its own Transpose and Conv2D kernels:
        // dW[kh,kw,ci,co] = Σ_{n,y,x} X[n, s·y+kh−top, s·x+kw−left, ci]·dY[n,y,x,co]
        // is a stride-1 convolution of X as [ci, H, W, n] with dY as a
        // [Ho, Wo, n, co] filter dilated by s.
        const transpose = tf.getKernel("Transpose", "wasm").kernelFunc, conv = tf.getKernel("Conv2D", "wasm").kernelFunc;
        tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: ({ inputs, backend, attrs }) => {
          const { x, dy } = inputs, { strides, pad, dimRoundingMode, filterShape } = attrs;
          const ci = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
          const [sh, sw] = [ci.strideHeight, ci.strideWidth], { top, left } = ci.padInfo;
          const bottom = filterShape[0] + sh * (dy.shape[1] - 1) - x.shape[1] - top, right = filterShape[1] + sw * (dy.shape[2] - 1) - x.shape[2] - left;
          if (bottom < 0 || right < 0) throw new Error("Conv2DBackpropFilter (benchmark kernel): this geometry needs a crop");
          const xt = transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } });
          const dyt = transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } });
          const g = conv({ inputs: { x: xt, filter: dyt }, backend, attrs: { strides: 1, dilations: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: "NHWC" } });
          const out = transpose({ inputs: { x: g }, backend, attrs: { perm: [1, 2, 0, 3] } });
          for (const t of [xt, dyt, g]) backend.disposeData(t.dataId);
          return out;
        } });
      }
      if (o.filterGrad) info.kernels_added = "Conv2DBackpropFilter (for this benchmark: the wasm backend's Transpose and Conv2D)";
      if (!(await tf.setBackend(o.backend))) throw new Error(`tf.setBackend("${o.backend}") failed: the backend did not initialise in this browser`);
      await tf.ready();
      if (o.backend === "wasm") {
        info.simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
        info.threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
        info.cross_origin_isolated = self.crossOriginIsolated;
      }
      if (o.backend === "webgl") {
        const gl = tf.backend().gpgpu?.gl;
        const ext = gl?.getExtension("WEBGL_debug_renderer_info");
        info.renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl?.getParameter(gl.RENDERER);
      }
    } catch (e) {
      return { ...info, error: String(e.message || e) };
    }
    let seed = 1;
    const vars = { g: [], d: [] };
    const conv = (set, k, inC, outC) => { const v = tf.variable(tf.randomNormal([k, k, inC, outC], 0, 0.02, "float32", seed++)); set.push(v); return v; };
    const convT = (set, k, inC, outC) => { const v = tf.variable(tf.randomNormal([k, k, outC, inC], 0, 0.02, "float32", seed++)); set.push(v); return v; };
    const bn = (set, c) => {
      const l = { gamma: tf.variable(tf.randomNormal([c], 1, 0.02, "float32", seed++)), beta: tf.variable(tf.zeros([c])),
        mean: tf.variable(tf.zeros([c]), false), var: tf.variable(tf.ones([c]), false) };
      set.push(l.gamma, l.beta);
      return l;
    };
    // Training-mode BatchNorm: batch statistics (biased variance) normalise;
    // the running ones move with momentum 0.1 and the unbiased variance.
    const batchNorm = (l, x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = x.size / x.shape[3];
      tf.tidy(() => {
        // (no gradient flows here: the running values are not in the loss)
        l.mean.assign(tf.add(tf.mul(l.mean, 0.9), tf.mul(mean, 0.1)));
        l.var.assign(tf.add(tf.mul(l.var, 0.9), tf.mul(variance, 0.1 * n / (n - 1))));
      });
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), l.gamma), l.beta);
    };
    const leaky = (x) => tf.leakyRelu(x, 0.2);
    // Encoder(isize, outZ, nc, ngf): the reference's layer order; returns
    // the layers, the last conv separately (D's classifier, E's latent).
    const encoder = (set, outZ) => {
      const ls = [{ w: conv(set, 4, o.nc, o.ngf), s: 2 }];
      let size = o.isize / 2, c = o.ngf;
      while (size > 4) { ls.push({ w: conv(set, 4, c, 2 * c), s: 2, bn: bn(set, 2 * c) }); c *= 2; size /= 2; }
      return { ls, last: conv(set, 4, c, outZ) };
    };
    const features = (e, x) => {
      let h = x;
      for (const l of e.ls) {
        h = tf.conv2d(h, l.w, l.s, "same");
        if (l.bn) h = batchNorm(l.bn, h);
        h = leaky(h);
      }
      return h;
    };
    const encode = (e, x) => tf.conv2d(features(e, x), e.last, 1, "valid");
    const decoder = (set) => {
      let c = o.ngf * o.isize / 8, size = 4;
      const ls = [{ w: convT(set, 4, o.nz, c), s: 1, pad: "valid", size: 4, outC: c, bn: bn(set, c) }];
      while (size < o.isize / 2) { ls.push({ w: convT(set, 4, c, c / 2), s: 2, pad: "same", size: size * 2, outC: c / 2, bn: bn(set, c / 2) }); c /= 2; size *= 2; }
      ls.push({ w: convT(set, 4, c, o.nc), s: 2, pad: "same", size: o.isize, outC: o.nc });
      return ls;
    };
    const decode = (ls, z) => {
      let h = z;
      for (const l of ls) {
        h = tf.conv2dTranspose(h, l.w, [h.shape[0], l.size, l.size, l.outC], l.s, l.pad);
        h = l.bn ? tf.relu(batchNorm(l.bn, h)) : tf.tanh(h);
      }
      return h;
    };
    const e1 = encoder(vars.g, o.nz), dec = decoder(vars.g), e2 = encoder(vars.g, o.nz);
    const netD = encoder(vars.d, 1);
    // The reference initialisation again (Adam's state is kept).
    const reinitD = () => tf.tidy(() => {
      for (const l of [...netD.ls, { w: netD.last }]) {
        l.w.assign(tf.randomNormal(l.w.shape, 0, 0.02));
        if (l.bn) { l.bn.gamma.assign(tf.randomNormal(l.bn.gamma.shape, 1, 0.02)); l.bn.beta.assign(tf.zeros(l.bn.beta.shape)); }
      }
    });
    const count = (set) => set.reduce((a, v) => a + v.size, 0);
    info.params_g = count(vars.g);
    info.params_d = count(vars.d);
    const optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-8), optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
    const x = tf.randomUniform([o.batch, o.isize, o.isize, o.nc], -1, 1, "float32", 99);
    const l2 = (a, b) => tf.mean(tf.squaredDifference(a, b));
    const bce = (p, target) => tf.neg(tf.mean(tf.maximum(tf.log(target ? p : tf.sub(1, p)), -100)));
    const step = () => {
      let fake, parts;
      const errG = optG.minimize(() => {
        const li = encode(e1, x);
        const xh = decode(dec, li);
        const lo = encode(e2, xh);
        fake = tf.keep(xh); // D's step sees it as a constant: its gradient is taken for D's variables only
        const adv = l2(features(netD, x), features(netD, xh));
        const con = tf.mean(tf.abs(tf.sub(x, xh)));
        const enc = l2(li, lo);
        parts = [tf.keep(adv), tf.keep(con), tf.keep(enc)];
        return tf.addN([adv, tf.mul(con, 50), enc]);
      }, true, vars.g);
      const errD = optD.minimize(() => {
        const pr = tf.sigmoid(encode(netD, x)), pf = tf.sigmoid(encode(netD, fake));
        return tf.mul(tf.add(bce(pr, true), bce(pf, false)), 0.5);
      }, true, vars.d);
      const [g, d, ...p] = [errG, errD, ...parts].map((t) => t.dataSync()[0]);
      [errG, errD, fake, ...parts].forEach((t) => t.dispose());
      if (d < 1e-5) reinitD();
      return { errG: g, errD: d, adv: p[0], con: p[1], enc: p[2] };
    };
    try {
      let first, second;
      for (let i = 0; i < o.warmup; i++) { const l = step(); if (i === 0) first = l; if (i === 1) second = l; }
      const ms = [];
      let last;
      const t0 = performance.now();
      while (ms.length < o.maxSteps && (ms.length < o.minSteps || performance.now() - t0 < 1000 * o.minSeconds)) {
        const t = performance.now();
        last = step();
        ms.push(performance.now() - t);
      }
      const total = performance.now() - t0;
      const sorted = [...ms].sort((a, b) => a - b);
      const med = sorted[Math.floor(sorted.length / 2)];
      if (!Number.isFinite(last.errG) || !Number.isFinite(last.errD)) throw new Error(`the losses are not finite: ${JSON.stringify(last)}`);
      Object.assign(info, {
        steps: ms.length, warmup_steps: o.warmup, seconds: +(total / 1000).toFixed(2),
        images_per_s: +((o.batch * ms.length * 1000) / total).toFixed(2), median_images_per_s: +((o.batch * 1000) / med).toFixed(2),
        first_losses: first, second_losses: second, last_losses: last,
      });
    } catch (e) {
      info.error = String(e.message || e);
    }
    tf.dispose([...vars.g, ...vars.d, x]);
    for (const l of [...e1.ls, ...dec, ...e2.ls, ...netD.ls]) if (l.bn) tf.dispose([l.bn.mean, l.bn.var]);
    optG.dispose(); optD.dispose();
    return info;
  }, { backend, filterGrad, batch, isize, nc, nz, ngf, warmup, minSteps, minSeconds, maxSteps });
}
