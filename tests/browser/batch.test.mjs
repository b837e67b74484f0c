// The batch view with a few thousand images (generated here, never
// committed): every row arrives, the page answers clicks while the batch
// runs (single view and lab), the scores equal the CLI's, the table is
// virtualised, filters and sorting work on the whole batch, and a running
// batch can be cancelled and another one started.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, siteDir, artifacts, startServer, launch, cliScores, shot } from "./lib.mjs";
import { writeLabelled } from "./genimages.mjs";

const N = Number(process.env.BATCH_TEST_IMAGES || 2500);
const models = JSON.parse(fs.readFileSync(path.join(siteDir, "web/models/index.json")));
const modelPath = path.join(siteDir, "web/models", (models.find((m) => m.default) || models[0]).file);
const gallery = JSON.parse(fs.readFileSync(path.join(siteDir, "web/gallery/index.json")));
const dir = path.join(artifacts, "batch-scale", "generated");
let server, browser, page, files;

before(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  files = writeLabelled(dir, N);
  server = await startServer();
  browser = await launch();
  page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
});

after(async () => {
  await browser?.close();
  server?.stop();
  fs.rmSync(path.join(artifacts, "batch-scale"), { recursive: true, force: true });
});

// run reads the batch view's state from its root (present while hidden too).
const run = () => page.$eval(".batch-view", (el) => ({ state: el.dataset.state, done: Number(el.dataset.done), total: Number(el.dataset.total) }));

test("a few thousand images: every row, clicks answered meanwhile, the CLI's scores", async () => {
  await page.setInputFiles("[data-testid=folder-input]", dir);
  await page.waitForFunction(() => Number(document.querySelector(".batch-view")?.dataset.done) > 0, null, { timeout: 60000 });
  const early = await run();
  assert.equal(early.total, N);
  assert.equal(early.state, "running");

  // The single view answers while the batch runs.
  await page.click("button.tab:has-text('Single image')");
  await page.click(`button.sample[data-file="${gallery[0].file}"]`);
  const doneAtAnswer = await (await page.waitForFunction((f) => document.querySelector(".result .name")?.textContent === "gallery/" + f &&
    Number(document.querySelector(".batch-view").dataset.done), gallery[0].file, { timeout: 30000 })).jsonValue();
  assert.ok(doneAtAnswer < N, `the click was answered while the batch ran (${doneAtAnswer} of ${N} done)`);
  assert.ok(Number.isFinite(Number(await page.textContent("[data-testid=score]"))));
  // And the lab.
  await page.click("button.tab:has-text('Lab')");
  await page.click("button.layer >> nth=1");
  await page.waitForSelector(".fmaps img", { timeout: 30000 });
  const mid = await run();
  assert.equal(mid.state, "running", "the batch still runs while the lab is used");

  await page.click("button.tab:has-text('Batch')");
  await page.waitForFunction((n) => document.querySelector("[data-testid=batch-progress]")?.dataset.state === "done" &&
    Number(document.querySelector("[data-testid=batch-progress]").dataset.done) === n, N, { timeout: 600000, polling: 250 });
  await shot(page, "13-batch-thousands");

  // Virtualised: a window of rows is in the page, the table knows them all.
  const rendered = await page.$$eval("[data-testid=batch-table] tbody tr", (trs) => trs.length);
  assert.ok(rendered > 0 && rendered < 200, `${rendered} rows rendered of ${N}`);
  assert.equal(Number(await page.getAttribute("[data-testid=batch-table]", "data-rows")), N);
  // Scrolled to the end, the last rows show.
  await page.click("th button.sort:has-text('name')"); // ascending by name: the last is known
  await page.$eval(".batch-scroll", (el) => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event("scroll")); });
  const last = [...files].map((f) => path.relative(path.dirname(dir), f)).sort().pop();
  await page.waitForFunction((name) => [...document.querySelectorAll("[data-testid=batch-table] tbody td.c-name")].some((td) => td.textContent === name), last, { timeout: 10000 });

  // Every row is in the CSV with a score, and a sample equals the CLI's.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("button:has-text('Download CSV')")]);
  const csv = fs.readFileSync(await dl.path(), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
  assert.equal(csv.length, N);
  const byPath = new Map(csv.map((c) => [c[0], c]));
  assert.equal(byPath.size, N, "one row per image");
  assert.ok(csv.every((c) => c[1] !== "" && c[4] === ""), "every image scored, no error");
  const sample = files.filter((_, i) => i % Math.floor(N / 24) === 0);
  const cli = cliScores(modelPath, sample);
  for (const f of sample) {
    const row = byPath.get(path.relative(path.dirname(dir), f));
    assert.ok(row, "row for " + f);
    assert.equal(Number(row[1]), cli.get(f).score, `${f}: page ${row[1]} vs CLI ${cli.get(f).score}`);
    assert.equal(row[2], cli.get(f).verdict);
    assert.equal(row[5], f.includes("1.abnormal") ? "abnormal" : "normal");
  }
  // The live ROC covers every labelled image.
  assert.match(await page.textContent(".roc-box"), new RegExp(`from the ${N} labelled images`));

  // Filters act on the whole batch.
  const table = async (attr, want) => {
    await page.waitForFunction(([a, w]) => document.querySelector("[data-testid=batch-table]").dataset[a] === w, [attr, want]);
    return Number(await page.getAttribute("[data-testid=batch-table]", "data-rows"));
  };
  await page.selectOption("[data-testid=batch-filter]", "anomalous");
  assert.equal(await table("filter", "anomalous|"), csv.filter((c) => c[2] === "anomalous").length, "rows shown by the anomalous filter");
  await page.selectOption("[data-testid=batch-filter]", "normal");
  assert.equal(await table("filter", "normal|"), csv.filter((c) => c[2] === "normal").length, "rows shown by the normal filter");
  await page.selectOption("[data-testid=batch-filter]", "");
  await page.fill("[data-testid=batch-search]", "img-0000");
  assert.equal(await table("filter", "|img-0000"), 10);
  await page.fill("[data-testid=batch-search]", "");
  assert.equal(await table("filter", "|"), N);
});

test("a running batch can be cancelled, and another one started", async () => {
  await page.setInputFiles("[data-testid=folder-input]", dir);
  await page.waitForFunction((n) => { const el = document.querySelector("[data-testid=batch-progress]");
    return el?.dataset.state === "running" && Number(el.dataset.total) === n && Number(el.dataset.done) > 0; }, N, { timeout: 60000 });
  await page.click("[data-testid=batch-cancel]");
  await page.waitForFunction(() => document.querySelector("[data-testid=batch-progress]")?.dataset.state === "cancelled");
  const at = await run();
  assert.ok(at.done < N, `cancelled before the end (${at.done} of ${N})`);
  await page.waitForTimeout(1500);
  assert.equal((await run()).done, at.done, "no result arrives after the cancel");
  await page.selectOption("[data-testid=batch-filter]", "pending");
  await page.waitForFunction((k) => Number(document.querySelector("[data-testid=batch-table]").dataset.rows) === k, N - at.done);
  assert.match(await page.textContent("[data-testid=batch-table] tbody"), /not scored \(cancelled\)/);
  // Another batch runs to its end.
  await page.click("button:has-text('Score all sample images')");
  await page.waitForFunction((n) => { const el = document.querySelector("[data-testid=batch-progress]");
    return el?.dataset.state === "done" && Number(el.dataset.total) === n && Number(el.dataset.done) === n; }, gallery.length, { timeout: 60000 });
});
