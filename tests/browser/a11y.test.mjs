// Accessibility of the page in headless Chromium: axe-core (npm, from the
// cache; see scripts/test-browser.sh) on every view finds no violation of
// impact moderate or worse (the Train view idle, paused and stopped too), and
// the gallery, the view tabs, the threshold slider and the Train view's
// controls work from the keyboard alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startServer, launch, shot } from "./lib.mjs";

const npm = process.env.GANOMALY_NPM || path.join(os.homedir(), ".cache/ganomaly-go/npm/node_modules");
const axeSource = fs.readFileSync(path.join(npm, "axe-core/axe.min.js"), "utf8");
const serious = new Set(["moderate", "serious", "critical"]);

let server, browser, page;

before(async () => {
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
});

// axeViolations runs axe-core on the page as it is and returns the
// violations of impact moderate or worse, one line each.
async function axeViolations() {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ content: axeSource });
  }
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return res.filter((v) => serious.has(v.impact)).map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(", ")})`);
}

const activeView = () => page.$eval("nav.tabs button[aria-current=true]", (b) => b.textContent);

test("the viewport lets people zoom", async () => {
  const contents = await page.$$eval("meta[name=viewport]", (ms) => ms.map((m) => m.content));
  assert.equal(contents.length, 1, "one viewport tag: " + contents.join(" | "));
  assert.doesNotMatch(contents[0], /user-scalable\s*=\s*(0|no)|maximum-scale\s*=\s*1(\.0*)?(,|$)/, contents[0]);
});

test("keyboard: a gallery sample opens with Enter, the slider moves with the arrow keys", async () => {
  const first = page.locator("button.sample").first();
  await first.focus();
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains("sample")), true, "a sample takes the focus");
  const file = await first.getAttribute("data-file");
  await page.keyboard.press("Enter");
  await page.waitForFunction((f) => document.querySelector(".result .name")?.textContent === "gallery/" + f, file);
  // Tab order reaches the samples from the top of the page.
  await page.focus("body");
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.classList.contains("sample") ?? false);
  }
  assert.ok(reached, "Tab reaches the gallery samples");

  const slider = page.locator("[data-testid=threshold]");
  await slider.focus();
  const before = await slider.inputValue();
  const label = async () => page.textContent("label[for=threshold] b");
  const labelBefore = await label();
  for (let i = 0; i < 20; i++) await page.keyboard.press("ArrowRight");
  await page.waitForFunction((v) => document.querySelector("[data-testid=threshold]").value !== v, before);
  assert.ok(Number(await slider.inputValue()) > Number(before), "ArrowRight raises the threshold");
  await page.waitForFunction((l) => document.querySelector("label[for=threshold] b").textContent !== l, labelBefore);
  await page.keyboard.press("Home");
  await page.waitForFunction(() => Number(document.querySelector("[data-testid=threshold]").value) === 0);
});

test("axe-core: no violation of impact moderate or worse on any view", async () => {
  const found = {};
  found.single = await axeViolations();
  await shot(page, "a11y-single");
  for (const [name, tab] of [["batch", "Batch"], ["lab", "Lab: how it works"], ["single again", "Single image"]]) {
    // Tabs work from the keyboard: focus, then Enter.
    await page.locator(`nav.tabs button:has-text("${tab}")`).focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction((t) => document.querySelector("nav.tabs button[aria-current=true]")?.textContent === t, tab);
    assert.equal(await activeView(), tab);
    if (name === "batch") {
      const btn = page.locator("button:has-text('Score all sample images')");
      if (await btn.count()) {
        await btn.focus();
        await page.keyboard.press("Space");
        await page.waitForSelector("[data-testid=batch-table] tbody tr", { timeout: 60000 });
        await page.waitForFunction(() => ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…"), null, { timeout: 60000 });
      }
    }
    found[name] = await axeViolations();
    await shot(page, "a11y-" + name.replace(" ", "-"));
  }
  const bad = Object.entries(found).filter(([, v]) => v.length > 0);
  assert.deepEqual(bad, [], "axe-core violations:\n" + bad.map(([k, v]) => `${k}:\n  ${v.join("\n  ")}`).join("\n"));
});

// The Train view: axe-core when idle, while a run is paused (losses, strip)
// and after it stopped (AUROC, histograms); the run is driven from the
// keyboard alone: the tab order through the data, settings and controls,
// the digit tick boxes with Space, the settings typed, Start, Pause, Step,
// Resume and Stop with Enter or Space.
test("the Train view: keyboard only, and no axe-core violation idle, paused or stopped", async () => {
  const found = {};
  const tab = page.locator("[data-testid=train-tab]");
  await tab.focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
  assert.equal(await activeView(), "Train");
  found.idle = await axeViolations();
  await shot(page, "a11y-train-idle");

  // Tab order: from the tab, through the digits and the settings to Start.
  const id = () => page.evaluate(() => {
    const e = document.activeElement;
    return e?.dataset?.testid || (e?.dataset?.digit !== undefined ? "digit-" + e.dataset.digit : e?.id || e?.tagName);
  });
  await tab.focus();
  const order = [];
  for (let i = 0; i < 40 && !order.includes("train-start"); i++) {
    await page.keyboard.press("Tab");
    order.push(await id());
  }
  const at = (k) => order.indexOf(k);
  for (const k of ["digit-0", "digit-9", "train-folder-input", "train-size", "train-epochs", "train-images", "train-seed", "train-start"]) {
    assert.ok(at(k) >= 0, `Tab reaches ${k}: ${order.join(" ")}`);
  }
  for (const [a, b] of [["digit-0", "digit-9"], ["digit-9", "train-size"], ["train-size", "train-epochs"], ["train-epochs", "train-images"], ["train-images", "train-seed"], ["train-seed", "train-start"]]) {
    assert.ok(at(a) < at(b), `${a} before ${b}: ${order.join(" ")}`);
  }

  // A digit box toggles with Space (and back).
  const digit = page.locator("input[data-digit='3']");
  await digit.focus();
  // The page re-renders the box after each change: wait for the state it
  // settles on (a wrong one times out) instead of reading it at once.
  const digit3 = (want) => page.waitForFunction((w) => document.querySelector("input[data-digit='3']").checked === w, want, { timeout: 10000 });
  await page.keyboard.press("Space");
  await digit3(false).catch(() => assert.fail("Space unticks digit 3"));
  await page.keyboard.press("Space");
  await digit3(true).catch(() => assert.fail("Space ticks digit 3 again"));
  await page.waitForTimeout(300);
  assert.equal(await digit.isChecked(), true, "digit 3 stays ticked");

  // Settings from the keyboard: the tiny model (the first size), 640
  // images, 3 epochs; a typed number takes effect when the field is left.
  await page.locator("[data-testid=train-size]").focus();
  await page.keyboard.press("Home");
  await page.waitForFunction(() => document.querySelector("[data-testid=train-size]").value === "8");
  for (const [field, v] of [["train-images", "640"], ["train-epochs", "3"]]) {
    await page.locator(`[data-testid=${field}]`).focus();
    await page.keyboard.press("Control+A");
    await page.keyboard.type(v);
    await page.keyboard.press("Tab");
  }
  await page.waitForFunction(() => /640 images × 3 epochs/.test(document.body.textContent));

  const status = () => page.textContent("[data-testid=train-status]");
  const points = () => page.getAttribute("[data-testid=train-losses]", "data-points").then(Number);
  await page.locator("[data-testid=train-start]").focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => Number(document.querySelector("[data-testid=train-losses]")?.dataset.points) >= 1, null, { timeout: 60000 });
  await page.locator("[data-testid=train-pause]").focus();
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.querySelector("[data-testid=train-status]").textContent === "paused", null, { timeout: 30000 });
  await page.waitForTimeout(1500); // an in-flight step lands
  const atPause = await points();
  // While paused, Tab goes from Resume to Step to Stop.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "train-pause", "the focus stays on Pause/Resume");
  await page.keyboard.press("Tab");
  assert.equal(await id(), "train-step");
  await page.keyboard.press("Enter");
  await page.waitForFunction((n) => Number(document.querySelector("[data-testid=train-losses]").dataset.points) === n + 1, atPause, { timeout: 60000 });
  assert.equal(await status(), "paused", "Step leaves the run paused");
  await page.keyboard.press("Tab");
  assert.equal(await id(), "train-stop");
  await page.waitForSelector(".strip-cell img", { timeout: 60000 });
  found.paused = await axeViolations();
  await shot(page, "a11y-train-paused");

  // Resume (Enter on the same button), then Stop once the first AUROC is in.
  await page.locator("[data-testid=train-pause]").focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("[data-testid=train-status]").textContent === "running", null, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector("[data-testid=train-auroc]").textContent !== "", null, { timeout: 120000 });
  await page.locator("[data-testid=train-stop]").focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => ["done", "failed"].includes(document.querySelector("[data-testid=train-status]").textContent), null, { timeout: 60000 });
  assert.equal(await status(), "done");
  assert.ok((await points()) < 30, "stopped before the end of 3 epochs of 10 steps");
  // The charts' text alternatives carry the latest numbers.
  assert.match(await page.textContent("[data-testid=train-auroc-text]"), /AUROC \d\.\d{3} at step \d+/);
  assert.match(await page.textContent("[data-testid=train-losses-text]"), /After step \d+: errG/);
  assert.match(await page.textContent("[data-testid=train-histogram-text]"), /held-out normals, most near .*anomalies, most near/);
  for (const c of ["train-losses", "train-auroc-chart", "train-histogram"]) {
    const name = await page.$eval(`[data-testid=${c}]`, (svg) => document.getElementById(svg.getAttribute("aria-labelledby"))?.textContent || "");
    assert.ok(name.length > 20, `${c} is labelled by its numbers: ${name}`);
  }
  found.stopped = await axeViolations();
  await shot(page, "a11y-train-stopped");
  const bad = Object.entries(found).filter(([, v]) => v.length > 0);
  assert.deepEqual(bad, [], "axe-core violations in the Train view:\n" + bad.map(([k, v]) => `${k}:\n  ${v.join("\n  ")}`).join("\n"));
});
