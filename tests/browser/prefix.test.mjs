// The site built for a sub-path (SITE_PREFIX, GitHub Pages project sites)
// loads and scores when served under that path. It is also the build with a
// model of one's own (SITE_MODELS, SITE_DEFAULT in scripts/test-browser.sh):
// the page opens with that model and lists it beside the bundled one.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, startServer, launch, shot } from "./lib.mjs";

const dir = process.env.SITE_PREFIXED_DIR || path.join(root, "build/site-prefixed");
const prefix = process.env.SITE_PREFIXED || "/ganomaly-go";

test("the sub-path build works under its prefix", { skip: !fs.existsSync(path.join(dir, "index.html")) && "no prefixed build" }, async () => {
  const server = await startServer(prefix, dir);
  const browser = await launch();
  try {
    const page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
    const bad = [];
    page.on("response", (r) => { if (r.status() >= 400) bad.push(r.status() + " " + r.url()); });
    assert.match(server.url, new RegExp(prefix + "/$"));
    await page.goto(server.url);
    await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
    assert.match(await page.textContent(".model-info"), /own-rgb\.safetensors[\s\S]*RGB/, "the page opens with SITE_DEFAULT");
    const options = await page.$$eval("#model-select option", (os) => os.map((o) => o.textContent));
    assert.ok(options.some((o) => /own-rgb/.test(o)) && options.some((o) => /mnist/.test(o)), "both models listed: " + options.join(" | "));
    assert.match(await page.textContent(".panel.inputs"), /not from the images this model was trained on/, "the samples are explained as foreign");
    await page.click("button.sample");
    await page.waitForSelector("[data-testid=score]");
    assert.ok(Number.isFinite(Number(await page.textContent("[data-testid=score]"))));
    assert.deepEqual(bad, [], "every resource is found under the prefix");
    const outside = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name)).filter((u) => u.protocol.startsWith("http") && !u.pathname.startsWith("/ganomaly-go/")).map((u) => u.href));
    assert.deepEqual(outside, [], "no request leaves the prefix");
    await shot(page, "12-prefixed");
  } finally {
    await browser.close();
    server.stop();
  }
});
