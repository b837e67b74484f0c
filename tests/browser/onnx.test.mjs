// The ONNX export in onnxruntime-web, in headless Chromium: the bundled
// model exported with `exporter -format onnx` scores the gallery images as
// `ganomaly score` does (relative 1e-4), fed the engine's own input tensors
// (tests/python/goforward -images), in one dynamic batch and one at a time;
// and the threshold in its metadata_props gives the CLI's verdicts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { siteDir, startServer, launch, cliScores } from "./lib.mjs";
import { exportONNX, engineInputs, loadORT, ortVersion } from "./ort.mjs";

const SCORE_RTOL = 1e-4; // relative score difference, as in tests/python/test_onnx.py
const models = JSON.parse(fs.readFileSync(path.join(siteDir, "web/models/index.json")));
const modelPath = path.join(siteDir, "web/models", (models.find((m) => m.default) || models[0]).file);
const gallery = JSON.parse(fs.readFileSync(path.join(siteDir, "web/gallery/index.json")));
const files = gallery.map((g) => path.join(siteDir, "web/gallery", g.file));

let server, browser, page, onnxFile;

before(async () => {
  onnxFile = exportONNX(modelPath);
  server = await startServer();
  browser = await launch();
  page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  server?.stop();
  if (onnxFile) fs.rmSync(path.dirname(onnxFile), { recursive: true, force: true });
});

test(`onnxruntime-web ${ortVersion()} scores the gallery as ganomaly score does`, async (t) => {
  const io = await loadORT(page, onnxFile);
  assert.deepEqual(io.inputs, ["x"]);
  assert.deepEqual([...io.outputs].sort(), ["diff", "latent_i", "latent_o", "score", "x_hat"]);
  const cases = engineInputs(modelPath, files);
  const cli = cliScores(modelPath, files);
  const { isize, nc } = models.find((m) => path.join(siteDir, "web/models", m.file) === modelPath);
  const got = await page.evaluate(async ({ xs, isize, nc }) => {
    const ort = window.ort, s = window.ortSession;
    const len = nc * isize * isize;
    const feed = (list) => {
      const x = new Float32Array(list.length * len);
      list.forEach((v, i) => x.set(v, i * len));
      return { x: new ort.Tensor("float32", x, [list.length, nc, isize, isize]) };
    };
    const batch = await s.run(feed(xs));
    const single = [];
    for (const v of xs) single.push((await s.run(feed([v]))).score.data[0]);
    return { batch: Array.from(batch.score.data), single, dims: batch.diff.dims };
  }, { xs: cases.map((c) => c.x), isize, nc });
  assert.deepEqual(got.dims, [files.length, isize, isize]);
  let worst = 0;
  for (const [i, f] of files.entries()) {
    const ref = cli.get(path.resolve(f));
    assert.ok(ref && ref.error === "", `${f}: ${JSON.stringify(ref)}`);
    for (const [how, s] of [["batch", got.batch[i]], ["single", got.single[i]]]) {
      const rel = Math.abs(s - ref.score) / Math.abs(ref.score);
      worst = Math.max(worst, rel);
      assert.ok(rel <= SCORE_RTOL, `${f} (${how}): onnxruntime-web ${s}, ganomaly score ${ref.score} (relative ${rel.toExponential(2)})`);
      assert.equal(s > ref.threshold ? "anomalous" : "normal", ref.verdict, `${f} (${how})`);
    }
  }
  t.diagnostic(`${files.length} images, largest relative score difference ${worst.toExponential(2)}`);
});
