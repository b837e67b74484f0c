// A demo of one's own samples and words (scripts/test-browser.sh builds it
// into build/site-gallery): the bundled MNIST model with a labelled gallery
// folder (SITE_GALLERY) and a second model, exported with -title,
// -description and -class_names, with its own NAME.gallery/ beside it. The
// gallery, the words and the scores must switch with the model, the scores
// must equal the CLI's on the same files, and the files the build left out
// must be listed and absent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, artifacts, startServer, launch, cliScores, shot } from "./lib.mjs";

const dir = process.env.SITE_GALLERY_DIR || path.join(root, "build/site-gallery");
const log = path.join(artifacts, "site-gallery.log");
const skip = !fs.existsSync(path.join(dir, "index.html")) && "no gallery build (scripts/test-browser.sh makes it)";
let server, browser, page;

before(async () => {
  if (skip) return;
  server = await startServer("", dir);
  browser = await launch();
  page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const samples = () => page.$$eval("[data-testid=sample]", (bs) => bs.map((b) => ({ file: b.dataset.file, label: b.dataset.label })));
const text = async (id) => (await page.textContent(`[data-testid=${id}]`)).trim();

// wordsOf reads a model file's stored words as `ganomaly inspect -json` does.
function wordsOf(file) {
  const b = fs.readFileSync(file);
  const n = Number(b.readBigUInt64LE(0));
  return JSON.parse(JSON.parse(b.subarray(8, 8 + n).toString()).__metadata__.ganomaly).about;
}

// checkModel: the page shows the model's words and exactly its own samples,
// both labels, and two of them (one per label) score as the CLI scores the
// same files with the same model file.
async function checkModel(file, prefix) {
  const words = wordsOf(path.join(dir, "web/models", file));
  await page.waitForFunction((t) => document.querySelector("[data-testid=model-title]")?.textContent === t, words.title);
  assert.equal(await text("model-description"), words.description);
  assert.match(await page.textContent(".about"), new RegExp(`normal: ${words.normal_name}[\\s\\S]*anomalous: ${words.abnormal_name}`));
  const index = JSON.parse(fs.readFileSync(path.join(dir, "web/gallery/index.json"))).filter((e) => e.model === file);
  const got = await samples();
  assert.deepEqual(got.map((s) => s.file), index.map((e) => e.file), "the page shows the model's own samples, in the index's order");
  assert.ok(got.every((s) => s.file.startsWith(prefix)), "only this model's samples");
  assert.deepEqual(got.map((s) => s.label), index.map((e) => e.label), "data-label is the folder's label");
  assert.ok(got.some((s) => s.label === "normal") && got.some((s) => s.label === "anomalous"), "both labels");
  const pick = [got.find((s) => s.label === "normal"), got.find((s) => s.label === "anomalous")];
  const cli = cliScores(path.join(dir, "web/models", file), pick.map((s) => path.join(dir, "web/gallery", s.file)));
  const scores = [];
  for (const s of pick) {
    await page.click(`[data-testid=sample][data-file="${s.file}"]`);
    await page.waitForFunction((f) => document.querySelector(".result .name")?.textContent === "gallery/" + f, s.file);
    const rec = cli.get(path.join(dir, "web/gallery", s.file));
    assert.equal(rec.error, "");
    const score = Number(await text("score"));
    assert.equal(score, rec.score, `${s.file}: page ${score} vs CLI ${rec.score}`);
    assert.equal(await text("verdict"), rec.verdict);
    scores.push(score);
  }
  return { samples: got, scores };
}

test("each model shows its own gallery and words; scores equal the CLI's", { skip }, async () => {
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  const mnist = await checkModel("mnist.safetensors", "mnist.gallery/");
  assert.equal(mnist.samples.length, 30, "SITE_GALLERY: 30 samples of the 30 good files");
  assert.match(await page.textContent(".panel.inputs"), /chosen for this model/);
  await shot(page, "13-own-gallery");

  await page.selectOption("#model-select", "second.safetensors");
  const second = await checkModel("second.safetensors", "second.gallery/");
  assert.notDeepEqual(second.scores, mnist.scores);
  await shot(page, "14-second-model-gallery");

  // Back: the first model's samples and words return.
  await page.selectOption("#model-select", "mnist.safetensors");
  await checkModel("mnist.safetensors", "mnist.gallery/");
});

test("the build listed the bad files of the gallery folders and left them out", { skip }, async () => {
  const out = fs.readFileSync(log, "utf8");
  const index = JSON.parse(fs.readFileSync(path.join(dir, "web/gallery/index.json")));
  for (const bad of ["mnist/1.abnormal/broken.png", "second.gallery/1.abnormal/tiff_offset_bomb.tiff", "second.gallery/0.normal/README.txt"]) {
    assert.match(out, new RegExp("left out \\S*" + bad.replace(/\./g, "\\.")), bad + " is listed");
    assert.ok(!index.some((e) => (e.source || "").endsWith(path.basename(bad))), bad + " is not in the gallery");
  }
  assert.match(out, /gallery of second\.safetensors: 14 samples \(8 normal, 6 anomalous\)/);
  // The source folders are not published as they are.
  assert.ok(!fs.existsSync(path.join(dir, "web/models/second.gallery")));
});

test("the samples work offline (the service worker caches them)", { skip }, async () => {
  const sw = fs.readFileSync(path.join(dir, "app-worker.js"), "utf8");
  const index = JSON.parse(fs.readFileSync(path.join(dir, "web/gallery/index.json")));
  for (const e of index.filter((e) => e.model)) assert.ok(sw.includes("/web/gallery/" + e.file), e.file + " is cached");
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(async () => (await caches.keys()).length > 0, null, { timeout: 60000 });
  await page.waitForTimeout(500);
  await browser.ctx.setOffline(true);
  try {
    await page.reload();
    await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
    await checkModel("mnist.safetensors", "mnist.gallery/");
  } finally {
    await browser.ctx.setOffline(false);
  }
});
