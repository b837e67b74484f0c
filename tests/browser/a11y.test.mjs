// Accessibility of the page in headless Chromium: axe-core (npm, from the
// cache; see scripts/test-browser.sh) on every view finds no violation of
// impact moderate or worse, and the gallery, the view tabs and the threshold
// slider work from the keyboard alone.
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
