// Engine speed in headless Chromium (scripts/bench-browser.sh): the page's
// own engine on the main thread (workers: 0), then the engine-only wasm in
// 1, 2 and 4 Web Workers scoring a batch. Prints one JSON object per line:
// model, workers, ms_per_image, gflops, images_per_s.
import fs from "node:fs";
import path from "node:path";
import { siteDir, startServer, launch } from "./lib.mjs";

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
      const wasm = await WebAssembly.compileStreaming(fetch("web/worker.wasm"));
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
} finally {
  await browser.close();
  server.stop();
}
