// The Train view in headless Chromium: a tiny run (tiny model, 640 MNIST
// digits, one epoch) trained in the page's training worker, paused, stepped
// and resumed; the losses fall, the histogram and the eval-mode AUROC
// appear; the model is used in the single-image view and downloaded, and
// `ganomaly score` gives the page's scores for the gallery with that file.
// Without the WebAssembly SIMD kernels the same run gives the same weights.
// Own images dropped on the view (loose files and a folder) follow the
// folder rules, too few are said plainly, and a dropped folder trains.
// Nothing of the Train view loads before it is opened, training makes no
// network request, and once opened the view opens and trains offline.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, artifacts, startServer, launch, cliScores, shot, until, clearHttpCache } from "./lib.mjs";
import { digit } from "./genimages.mjs";

let server, browser, page;
const requests = [];

before(async () => {
  server = await startServer();
  browser = await launch();
  page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("request", (r) => { if (/^https?:/.test(r.url())) requests.push(r.url()); });
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  page.on("console", (m) => { if (m.type() === "error" || /panic|fatal/i.test(m.text())) console.error("console:", m.text()); });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const text = async (id) => ((await page.textContent(`[data-testid=${id}]`)) || "").trim();
const status = () => text("train-status");
const trainNote = async () => ((await page.$("[data-testid=train-note]")) ? text("train-note") : "");
const steps = async () => Number(await page.getAttribute("[data-testid=train-losses]", "data-points"));
// setting types a Train view setting and commits it as the page sees it (change).
const setting = async (id, value) => {
  await page.fill(`[data-testid=${id}]`, value);
  await page.dispatchEvent(`[data-testid=${id}]`, "change");
};
// runToEnd presses Start and waits until the run is done (or failed: then
// the view's note says why).
const runToEnd = async () => {
  await page.click("[data-testid=train-start]");
  await page.waitForFunction(() => ["done", "failed"].includes(document.querySelector("[data-testid=train-status]").textContent), null, { timeout: 180000 });
  assert.equal(await status(), "done", await trainNote());
};

test("the first load fetches nothing of the Train view", async () => {
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  const train = requests.filter((u) => u.includes("/web/train/"));
  assert.deepEqual(train, [], "the start of the site fetched Train view files");
});

test("a tiny run trains in the worker: pause, step, resume, losses fall, AUROC and histogram", async () => {
  await page.click("[data-testid=train-tab]");
  await page.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
  assert.ok(requests.some((u) => u.includes("/web/train/trainer.wasm")), "opening Train loads the trainer");
  assert.equal(await status(), "idle");
  assert.equal(await text("train-auroc"), "", "no AUROC before the first evaluation");
  // The defaults are the class demo.
  assert.equal(await page.inputValue("[data-testid=train-size]"), "16");
  assert.equal(await page.inputValue("[data-testid=train-images]"), "3000");
  await page.selectOption("[data-testid=train-size]", "8");
  await setting("train-images", "640");
  await setting("train-epochs", "1");

  const before = requests.length;
  await page.click("[data-testid=train-start]");
  await page.waitForFunction(() => Number(document.querySelector("[data-testid=train-losses]")?.dataset.points) >= 1, null, { timeout: 60000 });
  await page.click("[data-testid=train-pause]");
  await page.waitForFunction(() => document.querySelector("[data-testid=train-status]").textContent === "paused");
  // Give an in-flight step time to land, then check that nothing moves.
  await page.waitForTimeout(1500);
  const atPause = await steps();
  await page.waitForTimeout(1500);
  assert.equal(await steps(), atPause, "a paused run does not train");
  assert.ok(atPause < 10, `paused before the end (${atPause} of 10 steps)`);
  // Step: exactly one batch, still paused.
  await page.click("[data-testid=train-step]");
  await page.waitForFunction((n) => Number(document.querySelector("[data-testid=train-losses]").dataset.points) >= n + 1, atPause, { timeout: 60000 });
  await page.waitForTimeout(1000);
  assert.equal(await steps(), atPause + 1, "Step trains exactly one batch");
  assert.equal(await status(), "paused");
  // The other views work while the run is paused (and while it runs).
  await page.click("[data-testid=train-pause]");
  await page.waitForFunction(() => document.querySelector("[data-testid=train-status]").textContent !== "paused", null, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector("[data-testid=train-status]").textContent === "done", null, { timeout: 180000 });
  await shot(page, "train-done");
  assert.equal(requests.length, before, "training made network requests: " + requests.slice(before).join(", "));

  assert.equal(await steps(), 10, "640 images in batches of 64: 10 steps");
  assert.equal(await text("train-epoch"), "1");
  assert.ok(Number(await text("train-images-per-s")) > 0, "images/s shown");
  // Chromium has WebAssembly SIMD: the site's wasm_exec.js gave the worker
  // the kernels (engine/wasmsimd), and the Go trainer used them.
  assert.equal(await text("train-kernels"), "(SIMD)", "the products ran in the SIMD kernels");
  const first = Number(await page.getAttribute("[data-testid=train-losses]", "data-con-first"));
  const last = Number(await page.getAttribute("[data-testid=train-losses]", "data-con-last"));
  assert.ok(last < first, `the reconstruction loss fell: ${first} then ${last}`);
  const auroc = await text("train-auroc");
  assert.match(auroc, /^(0|1)\.\d+$/, "AUROC is a plain decimal");
  assert.ok(Number(auroc) >= 0 && Number(auroc) <= 1);
  assert.equal(await page.getAttribute("[data-testid=train-histogram]", "data-bins"), "30");
  assert.ok((await page.$$(".strip-cell img")).length >= 8, "the strip shows inputs and reconstructions");
});

test("use the trained model in the single-image view; the download scores the same with ganomaly score", async () => {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=train-download]")]);
  const file = path.join(artifacts, "trained-in-page.safetensors");
  await dl.saveAs(file);
  await page.click("[data-testid=train-tab]");
  await page.click("[data-testid=train-use]");
  await page.waitForFunction(() => document.querySelector(".model-info")?.textContent.includes("trained-mnist"), null, { timeout: 30000 });
  // The gallery is coloured by the trained model's classes (digit 2 abnormal).
  const labelled = await page.$$eval("button.sample", (bs) => bs.map((b) => ({ file: b.dataset.file, label: b.dataset.label, cls: b.dataset.class })));
  assert.ok(labelled.some((s) => s.cls === "2" && s.label === "anomalous"), "digit 2 is abnormal for the trained model");
  const pick = labelled.filter((s) => s.label === "normal").slice(0, 2).concat(labelled.filter((s) => s.label === "anomalous").slice(0, 2));
  const pageScores = {};
  for (const s of pick) {
    await page.click(`button.sample[data-file="${s.file}"]`);
    await page.waitForFunction((f) => document.querySelector(".result .name")?.textContent === "gallery/" + f, s.file);
    pageScores[s.file] = { score: Number(await text("score")), verdict: await text("verdict") };
  }
  const cli = cliScores(file, pick.map((s) => path.join(root, "web/gallery", s.file)));
  for (const s of pick) {
    const rec = cli.get(path.join(root, "web/gallery", s.file));
    assert.ok(rec && rec.error === "", "CLI scored " + s.file);
    assert.equal(pageScores[s.file].score, rec.score, `${s.file}: page ${pageScores[s.file].score} vs CLI ${rec.score}`);
    assert.equal(pageScores[s.file].verdict, rec.verdict);
  }
  fs.writeFileSync(path.join(artifacts, "train-scores.json"), JSON.stringify(pageScores, null, 1));
});

// tensors maps a safetensors file's tensor names to their bytes (the
// header's metadata, which says when and how the file was made, left out).
function tensors(file) {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString());
  const out = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name !== "__metadata__") out.set(name, b.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]));
  }
  return out;
}

test("without WebAssembly SIMD the worker trains the same bits with the Go code, and says so", async () => {
  // A browser whose wasm_exec.js declines the kernels, as one without SIMD
  // would (engine/wasmsimd's loader: globalThis.ganomalyNoSIMD); no service
  // worker, so that every request meets the route.
  const b = await launch({ serviceWorkers: "block" });
  try {
    await b.ctx.route("**/wasm_exec.js", async (route) => {
      const r = await route.fetch();
      await route.fulfill({ response: r, body: "globalThis.ganomalyNoSIMD = true;\n" + (await r.text()) });
    });
    const p = b.ctx.pages()[0] || (await b.ctx.newPage());
    p.on("pageerror", (e) => console.error("pageerror (no SIMD):", e.message));
    await p.goto(server.url);
    await p.waitForSelector("body[data-ready=true]", { timeout: 120000 });
    await p.click("[data-testid=train-tab]");
    await p.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
    // The tiny run of the tests above: tiny model, 640 images, one epoch.
    await p.selectOption("[data-testid=train-size]", "8");
    for (const [id, v] of [["train-images", "640"], ["train-epochs", "1"]]) {
      await p.fill(`[data-testid=${id}]`, v);
      await p.dispatchEvent(`[data-testid=${id}]`, "change");
    }
    await p.click("[data-testid=train-start]");
    await p.waitForFunction(() => ["done", "failed"].includes(document.querySelector("[data-testid=train-status]").textContent), null, { timeout: 300000 });
    assert.equal((await p.textContent("[data-testid=train-status]")).trim(), "done");
    assert.equal((await p.textContent("[data-testid=train-kernels]")).trim(), "(no SIMD)", "the Go code did the work");
    const [dl] = await Promise.all([p.waitForEvent("download"), p.click("[data-testid=train-download]")]);
    const file = path.join(artifacts, "trained-in-page-no-simd.safetensors");
    await dl.saveAs(file);
    const simd = tensors(path.join(artifacts, "trained-in-page.safetensors")), plain = tensors(file);
    assert.deepEqual([...plain.keys()].sort(), [...simd.keys()].sort());
    for (const [name, data] of simd) assert.ok(data.equals(plain.get(name)), `${name}: the weights differ with and without the SIMD kernels`);
  } finally {
    await b.close();
  }
});

// dropFiles drops files on the Train view: loose files as a DataTransfer
// (what dragging files from a file manager delivers), or, with folder set, a
// stand-in dataTransfer whose single entry is a folder (synthetic drops
// cannot carry real directories) implementing the FileSystemEntry calls the
// page uses (isDirectory, createReader().readEntries, file, fullPath).
async function dropFiles(files, folder) {
  await page.evaluate(({ files, folder }) => {
    const mk = (f) => new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name.split("/").pop());
    const target = document.querySelector(".panel.train");
    if (!folder) {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(mk(f));
      target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
      return;
    }
    const fileEntry = (p, f) => ({ isFile: true, isDirectory: false, fullPath: p, file: (ok) => setTimeout(() => ok(f)) });
    const dirEntry = (p, children) => ({
      isFile: false, isDirectory: true, fullPath: p,
      createReader: () => { let done = false; return { readEntries: (ok) => setTimeout(() => { ok(done ? [] : children); done = true; }) }; },
    });
    // Build the tree from the paths ("a/b/c.png").
    const tree = { dirs: {}, files: [] };
    for (const f of files) {
      const parts = f.name.split("/");
      let node = tree;
      for (const d of parts.slice(0, -1)) node = node.dirs[d] ||= { dirs: {}, files: [] };
      node.files.push(f);
    }
    const entry = (node, p) => dirEntry(p, [
      ...Object.entries(node.dirs).map(([d, n]) => entry(n, p + "/" + d)),
      ...node.files.map((f) => fileEntry("/" + f.name, mk(f))),
    ]);
    const [top, node] = Object.entries(tree.dirs)[0];
    const ev = new Event("drop", { bubbles: true, cancelable: true });
    Object.defineProperty(ev, "dataTransfer", { value: { items: [{ kind: "file", webkitGetAsEntry: () => entry(node, "/" + top) }], files: [] } });
    target.dispatchEvent(ev);
  }, { files, folder });
}

const ring = (i) => digit(i, false).toString("base64");
const cross = (i) => digit(i, true).toString("base64");
const b64 = (s) => Buffer.from(s).toString("base64");

test("own images dropped on the Train view: loose files and a folder, the folder rules, too few images said plainly", async () => {
  await page.click("[data-testid=train-tab]");
  await page.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
  const note = () => text("train-folder-note");
  // Too few loose images (and a file that is not one): said before Start.
  const few = Array.from({ length: 20 }, (_, i) => ({ name: `ring-${i}.png`, b64: ring(i) }));
  await dropFiles([...few, { name: "notes.txt", b64: b64("not an image\n") }], false);
  await page.waitForFunction(() => /normal images for training/.test(document.querySelector("[data-testid=train-folder-note]")?.textContent || ""));
  assert.match(await note(), /^20 normal images for training, 0 labelled test images/);
  assert.match(await note(), /1 files skipped: notes\.txt: /);
  assert.match(await text("train-error"), /20 usable normal images .*at least 74.*add more normal images/);
  const was = await status();
  const pointsBefore = await steps();
  await page.click("[data-testid=train-start]");
  await page.waitForTimeout(1000);
  assert.equal(await status(), was, "too few images do not start a run");
  assert.equal(await steps(), pointsBefore, "nothing trained");
  assert.match(await text("train-error"), /at least 74/);

  // Enough loose images: the error goes; an image without an extension is
  // taken by its content, an SVG is skipped with a word.
  const loose = Array.from({ length: 80 }, (_, i) => ({ name: `ring-${i}.png`, b64: ring(i) }));
  loose.push({ name: "no-extension", b64: ring(99) }, { name: "logo.svg", b64: b64('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  await dropFiles(loose, false);
  await page.waitForFunction(() => /^81 normal/.test(document.querySelector("[data-testid=train-folder-note]")?.textContent || ""));
  assert.match(await note(), /1 files skipped: logo\.svg: /);
  assert.equal(await page.$("[data-testid=train-error]"), null, "no error once there are enough images");

  // A dropped folder: normals at its top, a labelled test set below
  // 0.normal/ and 1.abnormal/, a text file and a hidden file skipped.
  const folder = [];
  for (let i = 0; i < 150; i++) folder.push({ name: `own/train/ring-${i}.png`, b64: ring(1000 + i) });
  for (let i = 0; i < 20; i++) folder.push({ name: `own/test/0.normal/ring-${i}.png`, b64: ring(2000 + i) });
  for (let i = 0; i < 20; i++) folder.push({ name: `own/test/1.abnormal/cross-${i}.png`, b64: cross(3000 + i) });
  folder.push({ name: "own/README.txt", b64: b64("my images\n") });
  await dropFiles(folder, true);
  await page.waitForFunction(() => /^150 normal images for training, 40 labelled/.test(document.querySelector("[data-testid=train-folder-note]")?.textContent || ""));
  assert.match(await note(), /1 files skipped: own\/README\.txt: /);
  assert.equal(await page.isChecked("input[name=train-source] >> nth=1"), true, "the own-images source is chosen");
  await page.selectOption("[data-testid=train-size]", "8");
  await setting("train-epochs", "1");
  await runToEnd();
  // 150 normals: 15 held out, 135 to train on, 2 batches of 64.
  assert.match(await page.textContent(".train-controls"), /Training on 135 normal images \(2 batches an epoch\); 15 held-out normals .* 20 normals and 20 anomalies/);
  assert.match(await text("train-auroc"), /^(0|1)\.\d+$/, "the labelled test set gives an AUROC");
  await shot(page, "train-dropped-folder");
});

test("offline once opened: a reload without network opens the Train view and trains (service worker)", async () => {
  await page.evaluate(() => navigator.serviceWorker.ready);
  // The service worker keeps the Train view's files once the view fetched them.
  await until(page, async () => {
    const keys = await caches.keys();
    for (const f of ["web/train/worker.js", "web/train/trainer.wasm", "web/train/mnist-subset.bin.gz"]) {
      let hit = false;
      for (const k of keys) hit ||= !!(await (await caches.open(k)).match(new URL(f, location.href).href));
      if (!hit) return false;
    }
    return true;
  }, null, { what: "the service worker's cache to hold the Train view's files" });
  // Only the service worker may answer offline: not the HTTP cache.
  await clearHttpCache(browser.ctx, page);
  await browser.ctx.setOffline(true);
  try {
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
    await page.click("[data-testid=train-tab]");
    await page.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
    assert.equal(await status(), "idle");
    await page.selectOption("[data-testid=train-size]", "8");
    await setting("train-images", "128");
    await setting("train-epochs", "1");
    await runToEnd();
    assert.equal(await steps(), 2, "128 images in batches of 64: 2 steps");
    await shot(page, "train-offline");
  } finally {
    await browser.ctx.setOffline(false);
  }
});
