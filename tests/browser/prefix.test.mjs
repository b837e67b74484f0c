// The site built for a sub-path (SITE_PREFIX, GitHub Pages project sites)
// loads and scores when served under that path.
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
