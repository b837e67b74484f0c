// The Train view in headless Chromium: a tiny run (tiny model, 640 MNIST
// digits, one epoch) trained in the page's training worker, paused, stepped
// and resumed; the losses fall, the histogram and the eval-mode AUROC
// appear; the model is used in the single-image view and downloaded, and
// `ganomaly score` gives the page's scores for the gallery with that file.
// Nothing of the Train view loads before it is opened, and training makes
// no network request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, artifacts, startServer, launch, cliScores, shot } from "./lib.mjs";

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
const steps = async () => Number(await page.getAttribute("[data-testid=train-losses]", "data-points"));

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
  await page.fill("[data-testid=train-images]", "640");
  await page.dispatchEvent("[data-testid=train-images]", "change");
  await page.fill("[data-testid=train-epochs]", "1");
  await page.dispatchEvent("[data-testid=train-epochs]", "change");

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
