// End-to-end tests of the demo page in headless Chromium: every behaviour
// a person can see, driven through the page's data-testid hooks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import zlib from "node:zlib";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { root, siteDir, artifacts, startServer, launch, cliScores, shot } from "./lib.mjs";

let server, browser, page;
const requests = []; // every http(s) request the page makes, in order
const timings = {};
const models = JSON.parse(fs.readFileSync(path.join(siteDir, "web/models/index.json")));
const defaultModel = models.find((m) => m.default) || models[0];
const modelPath = path.join(siteDir, "web/models", defaultModel.file);
const gallery = JSON.parse(fs.readFileSync(path.join(siteDir, "web/gallery/index.json")));

before(async () => {
  server = await startServer();
  browser = await launch();
  page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("request", (r) => { if (/^https?:/.test(r.url())) requests.push(r.url()); });
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  page.on("console", (m) => { if (m.type() === "error" || /panic|fatal/i.test(m.text())) console.error("console:", m.text()); });
});

after(async () => {
  fs.writeFileSync(path.join(artifacts, "timings.json"), JSON.stringify(timings, null, 1) + "\n");
  await browser?.close();
  server?.stop();
});

const score = async () => Number(await page.textContent("[data-testid=score]"));
const verdict = async () => (await page.textContent("[data-testid=verdict]")).trim();
const errorText = async () => {
  const el = await page.$("[data-testid=error]");
  return el ? (await el.textContent()).trim() : "";
};

// scoreGallery clicks a gallery sample and waits until the result shows it.
async function scoreGallery(file) {
  await page.click(`button.sample[data-file="${file}"]`);
  await page.waitForFunction((f) => document.querySelector(".result .name")?.textContent === "gallery/" + f, file);
  return { score: await score(), verdict: await verdict() };
}

test("loads, becomes ready, shows the first verdict", async () => {
  const t0 = Date.now();
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  timings.navigation_to_ready_ms = Date.now() - t0;
  assert.equal(await errorText(), "");
  await shot(page, "1-start");
  await scoreGallery(gallery[0].file);
  timings.navigation_to_first_verdict_ms = Date.now() - t0;
  assert.match(await verdict(), /^(normal|anomalous)$/);
  // The model's facts are on the page.
  const info = await page.textContent(".model-info");
  assert.match(info, new RegExp(`input ${defaultModel.isize}×${defaultModel.isize}`));
  assert.match(info, /AUROC/);
});

test("gallery scores equal the CLI's for the same files and model", async () => {
  // Normal and abnormal samples when the model names its classes; two of
  // every class otherwise.
  const labelled = await page.$$eval("button.sample", (bs) => bs.map((b) => ({ file: b.dataset.file, label: b.dataset.label })));
  let pick = labelled.filter((s) => s.label === "normal").slice(0, 3).concat(labelled.filter((s) => s.label === "anomalous").slice(0, 3));
  if (pick.length < 2) pick = labelled.filter((_, i) => i % 3 === 0);
  assert.ok(pick.length >= 2, "the gallery offers samples");
  const pageScores = {};
  for (const s of pick) pageScores[s.file] = await scoreGallery(s.file);
  const files = pick.map((s) => path.join(root, "web/gallery", s.file));
  const cli = cliScores(modelPath, files);
  for (const s of pick) {
    const rec = cli.get(path.join(root, "web/gallery", s.file));
    assert.ok(rec, "CLI scored " + s.file);
    assert.equal(rec.error, "");
    assert.equal(pageScores[s.file].score, rec.score, `${s.file}: page ${pageScores[s.file].score} vs CLI ${rec.score}`);
    assert.equal(pageScores[s.file].verdict, rec.verdict, `${s.file}: verdict`);
  }
  await shot(page, "2-single-view");
});

test("formats and pixel rules match the CLI (16-bit, alpha, CMYK, EXIF, WebP, TIFF, BMP)", async () => {
  // The preprocess package's fixtures: the page decodes with the same Go
  // code, so its scores must equal the CLI's for every one of them.
  const dir = path.join(root, "preprocess/testdata");
  const files = ["gray16.tiff", "alpha.png", "alpha.webp", "cmyk.jpg", "orient_6.jpg", "orient_3.jpg", "base.bmp", "base_lzw.tiff", "base_lossy.webp"]
    .map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  assert.ok(files.length >= 5, "fixtures found in preprocess/testdata");
  const cli = cliScores(modelPath, files);
  for (const f of files) {
    await page.setInputFiles("[data-testid=file-input]", f);
    await page.waitForFunction((n) => document.querySelector(".result .name")?.textContent === n, path.basename(f));
    assert.equal(await score(), cli.get(f).score, path.basename(f));
  }
});

test("paste and drag and drop reach the same scoring", async () => {
  const b64 = fs.readFileSync(path.join(root, "web/gallery", gallery[3].file)).toString("base64");
  const cli = cliScores(modelPath, [path.join(root, "web/gallery", gallery[3].file)]);
  const want = [...cli.values()][0].score;
  // A clipboard paste of an image file (what a screenshot paste delivers).
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
    document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
  }, b64);
  await page.waitForFunction(() => document.querySelector(".result .name")?.textContent === "pasted.png");
  assert.equal(await score(), want);
  // A drop anywhere on the page.
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
    const target = document.querySelector(".result");
    target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, b64);
  await page.waitForFunction(() => document.querySelector(".result .name")?.textContent === "dropped.png");
  assert.equal(await score(), want);
});

test("the threshold slider moves the verdict and shows rates", async () => {
  await scoreGallery(gallery[0].file);
  const s = await score();
  const slider = "[data-testid=threshold]";
  const set = (v) => page.$eval(slider, (el, v) => { el.value = String(v); el.dispatchEvent(new Event("input", { bubbles: true })); }, v);
  const { min, max } = await page.$eval(slider, (el) => ({ min: Number(el.min), max: Number(el.max) }));
  assert.ok(s > 0);
  await set(min);
  await page.waitForFunction(() => document.querySelector("[data-testid=verdict]").textContent === "anomalous");
  await set(max);
  await page.waitForFunction(() => document.querySelector("[data-testid=verdict]").textContent === "normal");
  assert.match(await page.textContent(".rates"), /%|no calibration/);
  await shot(page, "3-threshold-moved");
});

test("drawing on the canvas is scored", async () => {
  await page.$eval("#draw-canvas", (el) => el.scrollIntoView());
  const box = await (await page.$("#draw-canvas")).boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.2 + 0.05 * i));
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector(".result .name")?.textContent === "drawing.png");
  assert.ok(Number.isFinite(await score()));
  // The drawn stroke reached the model: the input image is not uniform.
  const uniform = await page.$eval(".images figure img", (img) => {
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext("2d"); g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0]) return false;
    return true;
  });
  assert.equal(uniform, false, "the stroke shows in the model's input");
  await shot(page, "4-drawing");
});

test("each view keeps its state across tabs; the canvas draws again once remounted", async () => {
  const tab = (label) => page.click(`nav.tabs button.tab:has-text("${label}")`);
  const { score: s } = await scoreGallery(gallery[1].file);
  const slider = "[data-testid=threshold]";
  await page.$eval(slider, (el) => { el.value = el.min; el.dispatchEvent(new Event("input", { bubbles: true })); });
  await page.waitForFunction(() => document.querySelector("[data-testid=verdict]").textContent === "anomalous");
  const value = await page.$eval(slider, (el) => el.value);
  // "Open in the lab" shows the lab for this image; the single view comes back as it was.
  await page.click("button:has-text('Open in the lab')");
  await page.waitForFunction((f) => document.querySelector(".lab .hint")?.textContent.includes("gallery/" + f), gallery[1].file);
  await tab("Single image");
  await page.waitForSelector(".result .name");
  assert.equal(await page.textContent(".result .name"), "gallery/" + gallery[1].file);
  assert.equal(await score(), s);
  assert.equal(await verdict(), "anomalous", "the threshold set with the slider stays");
  assert.equal(await page.$eval(slider, (el) => el.value), value);
  // The canvas is a new element after the change of tab: the pen works on it.
  await tab("Batch");
  await page.waitForSelector("#draw-canvas", { state: "detached" });
  await tab("Single image");
  await page.waitForSelector("#draw-canvas");
  await page.$eval("#draw-canvas", (el) => el.scrollIntoView());
  const box = await (await page.$("#draw-canvas")).boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + box.width * (0.3 + 0.05 * i), box.y + box.height * 0.5);
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector(".result .name")?.textContent === "drawing.png");
  // White on black: a corner of the model's input is black.
  const corner = await page.$eval(".images figure img", (img) => {
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext("2d"); g.drawImage(img, 0, 0);
    return g.getImageData(0, 0, 1, 1).data[0];
  });
  assert.ok(corner < 16, `the drawing's background is black (corner ${corner})`);
  assert.equal(await errorText(), "");
});

test("bad images get a clear message and the page keeps working", async () => {
  const png = fs.readFileSync(path.join(root, "web/gallery", gallery[0].file));
  // A PNG header claiming 100000×100000 pixels: refused from the header.
  const huge = Buffer.from(png.subarray(0, 33));
  huge.writeUInt32BE(100000, 16); huge.writeUInt32BE(100000, 20);
  huge.writeUInt32BE(zlib.crc32(huge.subarray(12, 29)), 29);
  const cases = [
    { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not an image at all\n"), want: /not a PNG, JPEG, GIF, BMP, TIFF or WebP image/ },
    { name: "truncated.png", mimeType: "image/png", buffer: png.subarray(0, Math.floor(png.length / 2)), want: /corrupt or truncated png/i },
    { name: "huge.png", mimeType: "image/png", buffer: huge, want: /too large|100000/ },
  ];
  for (const c of cases) {
    await page.setInputFiles("[data-testid=file-input]", { name: c.name, mimeType: c.mimeType, buffer: c.buffer });
    await page.waitForFunction((n) => document.querySelector("[data-testid=error]")?.textContent.includes(n), c.name);
    const msg = await errorText();
    assert.match(msg, c.want, `${c.name}: ${msg}`);
    assert.ok(msg.includes(c.name), `the message names the file: ${msg}`);
    if (c.name === "truncated.png") await shot(page, "5-bad-image");
  }
  // Still works; a good image clears the message.
  const r = await scoreGallery(gallery[1].file);
  assert.ok(Number.isFinite(r.score));
  assert.equal(await errorText(), "");
});

test("bad model files are refused and the current model stays", async () => {
  const good = fs.readFileSync(modelPath);
  const before = await scoreGallery(gallery[0].file);
  // Rewrite one metadata value in place (same length, so the header stays valid).
  const patch = (from, to) => {
    const s = good.toString("latin1");
    const i = s.indexOf(from);
    assert.ok(i >= 0, "metadata contains " + from);
    return Buffer.from(s.slice(0, i) + to + s.slice(i + from.length), "latin1");
  };
  const cases = [
    { name: "truncated.safetensors", buffer: good.subarray(0, 5000), want: /not a usable ganomaly model file/ },
    { name: "future.safetensors", buffer: patch('\\"format_version\\":1', '\\"format_version\\":9'), want: /format_version 9|newer/ },
    { name: "rgb-weights-grey-meta.safetensors", buffer: patch('\\"nc\\":1', '\\"nc\\":3'), want: /channel|normalization|shape/ },
  ];
  for (const c of cases) {
    await page.setInputFiles("[data-testid=model-input]", { name: c.name, mimeType: "application/octet-stream", buffer: c.buffer });
    await page.waitForFunction((n) => document.querySelector("[data-testid=error]")?.textContent.includes(n), c.name);
    const msg = await errorText();
    assert.match(msg, c.want, `${c.name}: ${msg}`);
    assert.match(msg, /previous model stays loaded/);
  }
  await shot(page, "6-bad-model");
  const again = await scoreGallery(gallery[0].file);
  assert.equal(again.score, before.score, "the same model still scores");
});

test("an RGB model loads and scores grey images as RGB", async () => {
  const rgb = path.join(artifacts, "rgb-init.safetensors");
  execFileSync(process.env.GANOMALY_BIN || "go", (process.env.GANOMALY_BIN ? [] : ["run", "./cmd/ganomaly"]).concat(["init", "-out", rgb, "-nc", "3", "-isize", "32", "-seed", "3"]), { cwd: root, stdio: "ignore" });
  await page.setInputFiles("[data-testid=model-input]", rgb);
  await page.waitForFunction(() => /input 32×32 RGB/.test(document.querySelector(".model-info")?.textContent || ""));
  assert.equal(await page.$("#draw-canvas"), null, "no drawing for RGB models");
  const png = fs.readFileSync(path.join(root, "web/gallery", gallery[0].file));
  await page.setInputFiles("[data-testid=file-input]", { name: "grey.png", mimeType: "image/png", buffer: png });
  await page.waitForFunction(() => document.querySelector(".result .name")?.textContent === "grey.png");
  const cli = cliScores(rgb, [path.join(root, "web/gallery", gallery[0].file)]);
  assert.equal(await score(), [...cli.values()][0].score);
  // Back to the bundled model.
  await page.selectOption("#model-select", defaultModel.file);
  await page.waitForFunction((f) => document.querySelector(".model-info b")?.textContent === f, defaultModel.file);
});

test("batch view: table, workers, labels, CSV", async () => {
  const files = gallery.slice(0, 6).map((g) => path.join(root, "web/gallery", g.file));
  const bad = { name: "broken.png", mimeType: "image/png", buffer: Buffer.from("\x89PNG\r\n\x1a\nbroken") };
  const payload = files.map((f) => ({ name: path.basename(f), mimeType: "image/png", buffer: fs.readFileSync(f) })).concat([bad]);
  await page.setInputFiles("[data-testid=file-input]", payload);
  await page.waitForSelector("[data-testid=batch-table]");
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=batch-table] tbody tr").length === n &&
    ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…"), payload.length, { timeout: 60000 });
  const rows = await page.$$eval("[data-testid=batch-table] tbody tr", (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const byName = new Map(rows.map((r) => [r[1], r]));
  const exact = new Map(await page.$$eval("[data-testid=batch-table] tbody tr", (trs) => trs.map((tr) => [tr.children[1].textContent, tr.children[3].dataset.score])));
  assert.match(byName.get("broken.png")[4], /^error: .*(corrupt or truncated png|not a PNG)/i);
  const cli = cliScores(modelPath, files);
  for (const f of files) {
    const r = byName.get(path.basename(f));
    assert.equal(Number(exact.get(path.basename(f))), cli.get(f).score, `worker score of ${path.basename(f)}`);
    // People read 4 significant digits; data-score keeps the exact value.
    assert.equal(r[3], Number(cli.get(f).score).toPrecision(4), `shown score of ${path.basename(f)}`);
    assert.equal(r[4], cli.get(f).verdict);
  }
  // Sorting by score (descending first click is the default; click toggles).
  await page.click("th button.sort:has-text('score')");
  const sorted = await page.$$eval("[data-testid=batch-table] tbody td.num", (tds) => tds.map((t) => t.dataset.score ? Number(t.dataset.score) : NaN).filter(Number.isFinite));
  const asc = [...sorted].sort((a, b) => a - b), desc = [...asc].reverse();
  assert.ok(JSON.stringify(sorted) === JSON.stringify(asc) || JSON.stringify(sorted) === JSON.stringify(desc), "sorted by score");
  // CSV download.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("button:has-text('Download CSV')")]);
  const csv = fs.readFileSync(await dl.path(), "utf8").trim().split("\n");
  assert.equal(csv[0], "path,score,verdict,threshold,error,label");
  assert.equal(csv.length, payload.length + 1);
  await shot(page, "7-batch");
  // The whole labelled gallery: live ROC when the model names its classes.
  await page.click("button:has-text('Score all sample images')");
  await page.waitForFunction(() => ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…") &&
    document.querySelectorAll("[data-testid=batch-table] tbody tr").length > 6, null, { timeout: 60000 });
  const labels = await page.$$eval("[data-testid=batch-table] tbody tr", (trs) => new Set(trs.map((tr) => tr.children[2].textContent)).size);
  if (labels >= 2) assert.match(await page.textContent(".roc-box"), /AUROC/);
  await shot(page, "8-batch-gallery");
});

// withDataset rewrites a model file's metadata to name its dataset classes
// (safetensors: 8-byte header length, JSON header, data; offsets are
// relative to the data, so only the length changes).
function withDataset(buf, dataset) {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const meta = JSON.parse(header.__metadata__.ganomaly);
  meta.dataset = dataset;
  header.__metadata__.ganomaly = JSON.stringify(meta);
  let h = JSON.stringify(header);
  h += " ".repeat((8 - (h.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(h)));
  return Buffer.concat([len, Buffer.from(h), buf.subarray(8 + n)]);
}

test("labelled samples: normal/anomaly badges and the live ROC", async () => {
  await page.click("button.tab:has-text('Single image')");
  let labels = await page.$$eval("button.sample", (bs) => bs.map((b) => b.dataset.label));
  if (!labels.includes("anomalous")) {
    // The bundled model names no classes (a placeholder): label digit 2 as the anomaly.
    const normal = ["0", "1", "3", "4", "5", "6", "7", "8", "9"];
    const buf = withDataset(fs.readFileSync(modelPath), { name: "mnist", normal_classes: normal, abnormal_classes: ["2"] });
    await page.setInputFiles("[data-testid=model-input]", { name: "labelled.safetensors", mimeType: "application/octet-stream", buffer: buf });
    await page.waitForFunction(() => document.querySelector(".model-info b")?.textContent === "labelled.safetensors");
    labels = await page.$$eval("button.sample", (bs) => bs.map((b) => b.dataset.label));
  }
  assert.ok(labels.includes("normal") && labels.includes("anomalous"), "samples carry both labels");
  await page.click("button.tab:has-text('Batch')");
  // The table may still hold an earlier batch of the same samples, done: only
  // the batch this click starts may be read (its start is seen by an
  // observer, however quickly it runs).
  await page.evaluate(() => {
    window.__batchStarted = false;
    const root = document.querySelector(".batch-view");
    new MutationObserver(() => { if (root.dataset.state === "running") window.__batchStarted = true; })
      .observe(root, { attributes: true, attributeFilter: ["data-state"] });
  });
  await page.click("button:has-text('Score all sample images')");
  // Every sample has its row and its score (rows arrive as the workers finish,
  // so a partial table must not be read), the batch is done and the ROC box
  // has caught up with every labelled row: the rows and the box are read in
  // the same frame as that check.
  const { rows, box } = await (await page.waitForFunction((n) => {
    const root = document.querySelector(".batch-view");
    const trs = [...document.querySelectorAll("[data-testid=batch-table] tbody tr")];
    const box = document.querySelector(".batch-view .roc-box")?.textContent ?? "";
    const labelled = trs.filter((tr) => ["normal", "abnormal"].includes(tr.children[2].textContent)).length;
    if (!window.__batchStarted || root?.dataset.state !== "done" || Number(root.dataset.done) !== n || trs.length !== n ||
      [...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…") ||
      !/AUROC/.test(box) || !box.includes(`from the ${labelled} labelled images`)) return false;
    return { box, rows: trs.map((tr) => ({ label: tr.children[2].textContent, score: Number(tr.children[3].dataset.score) })) };
  }, labels.length, { timeout: 60000 })).jsonValue();
  assert.equal(rows.length, labels.length, "one row per sample image");
  // AUROC by pairs (ties count 1/2) must equal the page's.
  const pos = rows.filter((r) => r.label === "abnormal"), neg = rows.filter((r) => r.label === "normal");
  let sum = 0;
  for (const p of pos) for (const q of neg) sum += p.score > q.score ? 1 : p.score === q.score ? 0.5 : 0;
  const auc = sum / (pos.length * neg.length);
  assert.match(box, new RegExp("AUROC " + auc.toFixed(3).replace(".", "\\.")));
  await shot(page, "8b-batch-labelled-roc");
  await page.selectOption("#model-select", defaultModel.file);
  await page.waitForFunction((f) => document.querySelector(".model-info b")?.textContent === f, defaultModel.file);
});

test("a folder with 0.normal and 1.abnormal subfolders gives a labelled batch", async () => {
  const dir = fs.mkdtempSync(path.join(artifacts, "folder-"));
  const put = (sub, file) => {
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    fs.copyFileSync(path.join(root, "web/gallery", file), path.join(dir, sub, path.basename(file)));
  };
  const normal = gallery.filter((g) => g.class !== "2").slice(0, 4), abnormal = gallery.filter((g) => g.class === "2");
  normal.forEach((g) => put("test/0.normal", g.file));
  abnormal.forEach((g) => put("test/1.abnormal", g.file));
  // The folder rules of every scan (preprocess.Classify): a PNG without an
  // extension is taken by its content, a text file and an SVG are skipped
  // and named.
  fs.copyFileSync(path.join(root, "web/gallery", normal[0].file), path.join(dir, "test", "0.normal", "no-extension"));
  fs.writeFileSync(path.join(dir, "test", "notes.txt"), "not an image\n");
  fs.writeFileSync(path.join(dir, "test", "logo.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>\n");
  await page.setInputFiles("[data-testid=folder-input]", dir);
  const n = normal.length + 1 + abnormal.length;
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=batch-table] tbody tr").length === n &&
    ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…"), n, { timeout: 60000 });
  const labels = await page.$$eval("[data-testid=batch-table] tbody tr", (trs) => trs.map((tr) => tr.children[2].textContent));
  assert.equal(labels.filter((l) => l === "normal").length, normal.length + 1);
  assert.equal(labels.filter((l) => l === "abnormal").length, abnormal.length);
  const notice = await errorText();
  assert.match(notice, /skipped 2 files/);
  assert.match(notice, /notes\.txt \(not an image/);
  assert.match(notice, /logo\.svg \(an SVG/);
  await page.click("button.dismiss");
  // The same AUROC as the CLI on the same labelled folder, and the same skipped files.
  const cli = cliScores(modelPath, [path.join(dir, "test")]);
  assert.ok(cli.summary, "the CLI reports a labelled summary");
  assert.deepEqual(cli.summary.skipped.map((p) => path.basename(p)).sort(), ["logo.svg", "notes.txt"]);
  assert.match(await page.textContent(".roc-box"), new RegExp("AUROC " + cli.summary.auroc.toFixed(3).replace(".", "\\.")));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a dropped folder is walked and labelled like the folder picker", async () => {
  // Synthetic drops cannot carry real directories, so the drop event gets a
  // stand-in dataTransfer whose entry implements the FileSystemEntry calls
  // the page uses (isDirectory, createReader().readEntries, file, fullPath).
  const pick = [gallery.find((g) => g.class === "0"), gallery.find((g) => g.class === "2")];
  const b64 = pick.map((g) => fs.readFileSync(path.join(root, "web/gallery", g.file)).toString("base64"));
  await page.evaluate((b64) => {
    const file = (name, data) => new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: "image/png" });
    const fileEntry = (p, f) => ({ isFile: true, isDirectory: false, fullPath: p, file: (ok) => setTimeout(() => ok(f)) });
    const dirEntry = (p, children) => ({
      isFile: false, isDirectory: true, fullPath: p,
      createReader: () => { let done = false; return { readEntries: (ok) => setTimeout(() => { ok(done ? [] : children); done = true; }) }; },
    });
    const root = dirEntry("/drop", [
      dirEntry("/drop/0.normal", [fileEntry("/drop/0.normal/n.png", file("n.png", b64[0]))]),
      dirEntry("/drop/1.abnormal", [fileEntry("/drop/1.abnormal/a.png", file("a.png", b64[1]))]),
      fileEntry("/drop/notes.txt", new File(["x"], "notes.txt")),
    ]);
    const ev = new Event("drop", { bubbles: true, cancelable: true });
    Object.defineProperty(ev, "dataTransfer", { value: { items: [{ kind: "file", webkitGetAsEntry: () => root }], files: [] } });
    document.querySelector(".page").dispatchEvent(ev);
  }, b64);
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=batch-table] tbody tr").length === 2 &&
    ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…"), null, { timeout: 60000 });
  const rows = await page.$$eval("[data-testid=batch-table] tbody tr", (trs) => trs.map((tr) => tr.children[1].textContent + "=" + tr.children[2].textContent).sort());
  assert.deepEqual(rows, ["drop/0.normal/n.png=normal", "drop/1.abnormal/a.png=abnormal"]);
});

test("result card downloads as a PNG", async () => {
  await page.click("button.tab:has-text('Single image')");
  await scoreGallery(gallery[2].file);
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("button:has-text('Download result card')")]);
  const b = fs.readFileSync(await dl.path());
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  fs.writeFileSync(path.join(artifacts, "result-card.png"), b);
});

test("the lab: layers, feature maps, latent sliders, interpolation, keyboard", async () => {
  await page.click("button.tab:has-text('Lab')");
  await page.waitForSelector("button.layer");
  const layers = await page.$$("button.layer");
  assert.ok(layers.length >= 9, "E1, D and E2 layers are drawn");
  const shapes = await page.$$eval("button.layer .shape", (s) => s.map((e) => e.textContent));
  // The first layer has ngf channels at half the input size (ngf from the model file itself).
  const arch = JSON.parse(execFileSync(process.env.GANOMALY_BIN || "go", (process.env.GANOMALY_BIN ? [] : ["run", "./cmd/ganomaly"]).concat(["inspect", "-json", modelPath]), { cwd: root })).metadata.arch;
  assert.equal(shapes[0], `${arch.ngf}×${defaultModel.isize / 2}×${defaultModel.isize / 2}`);
  // Keyboard: focus the second layer and press Enter.
  await layers[1].focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector(".fmaps img");
  assert.match(await page.textContent(".fmaps"), /feature maps/);
  // Moving a latent slider decodes a new image and scores it.
  const dec0 = await page.textContent(".decoded p");
  await page.$eval(".sliders input", (el) => { el.value = el.max; el.dispatchEvent(new Event("input", { bubbles: true })); });
  await page.waitForFunction((d) => document.querySelector(".decoded p").textContent !== d, dec0);
  await page.selectOption("#other", "3");
  await page.waitForSelector(".mix-mid img");
  const mix0 = await page.textContent(".mix-mid label");
  await page.$eval("#alpha", (el) => { el.value = "50"; el.dispatchEvent(new Event("input", { bubbles: true })); });
  await page.waitForFunction((d) => document.querySelector(".mix-mid label").textContent !== d, mix0);
  assert.match(await page.textContent(".mix-mid label"), /mix 50% A, 50% B/);
  await shot(page, "9-lab");
  await page.click("button.toggle");
  await shot(page, "10-lab-large-text");
  await page.click("button.toggle");
});

test("after loading, scoring makes no network request", async () => {
  // Every test above ran after data-ready; the requests they caused are
  // those made after the ready mark. Re-check with a fresh, explicit window.
  const n0 = requests.length;
  await page.click("button.tab:has-text('Single image')");
  await scoreGallery(gallery[4].file);
  const png = fs.readFileSync(path.join(root, "web/gallery", gallery[5].file));
  await page.setInputFiles("[data-testid=file-input]", { name: "x.png", mimeType: "image/png", buffer: png });
  await page.waitForFunction(() => document.querySelector(".result .name")?.textContent === "x.png");
  await page.setInputFiles("[data-testid=file-input]", [0, 1, 2].map((i) => ({ name: `b${i}.png`, mimeType: "image/png", buffer: png })));
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=batch-table] tbody tr").length === 3 &&
    ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…"));
  assert.deepEqual(requests.slice(n0), [], "no request while scoring");
});

test("works offline once loaded (service worker)", async () => {
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Wait until the service worker has cached everything it lists.
  await page.waitForFunction(async () => (await caches.keys()).length > 0, null, { timeout: 60000 });
  await page.waitForTimeout(500);
  await browser.ctx.setOffline(true);
  try {
    const t0 = Date.now();
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
    timings.offline_reload_to_ready_ms = Date.now() - t0;
    const r = await scoreGallery(gallery[0].file);
    assert.ok(Number.isFinite(r.score));
    await shot(page, "11-offline");
  } finally {
    await browser.ctx.setOffline(false);
  }
});
