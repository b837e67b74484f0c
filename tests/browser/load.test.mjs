// How the page starts: the pre-rendered page before the Go program runs,
// a click answered then (with the verdict drawn when the site was built)
// and scored by the page once the model is loaded, the Web
// Workers started only after the first verdict (or by a batch), and the
// precompressed files the site ships.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { root, siteDir, startServer, launch, cliScores, shot, contentTypes, siteFile } from "./lib.mjs";

const models = JSON.parse(fs.readFileSync(path.join(siteDir, "web/models/index.json")));
const modelPath = path.join(siteDir, "web/models", (models.find((m) => m.default) || models[0]).file);

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test("the pre-rendered page answers a sample click before the engine runs, then scores it", async () => {
  const page = await browser.ctx.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  // Hold app.wasm and the early verdicts back until the pre-rendered page
  // has been checked.
  const hold = () => {
    let release;
    const held = new Promise((r) => (release = r));
    return { release, handler: async (route) => { await held; await route.continue(); } };
  };
  const wasm = hold(), early = hold();
  await page.route("**/web/app.wasm", wasm.handler);
  await page.route("**/web/gallery/early.json", early.handler);
  await page.goto(server.url);
  await page.waitForSelector("button.sample");
  // Nothing that needs the Go program can be used yet, and says so by being
  // disabled (or inert); the samples are the exception: they answer.
  const liveControls = () => page.$$eval("button, input, select", (els) => els
    .filter((e) => !e.disabled && !e.closest("[inert]") && !e.matches("button.sample"))
    .map((e) => e.outerHTML.slice(0, 80)));
  assert.deepEqual(await liveControls(), [], "controls that would silently do nothing");
  // The samples are cells of one image written into the page: each shows
  // its own cell, none is an <img> of its own.
  const cells = () => page.$$eval("button.sample", (bs) => bs.map((b) => {
    const c = b.querySelector(".spr");
    const st = c && getComputedStyle(c);
    return c ? [st.backgroundImage.slice(0, 27), st.backgroundPositionX, st.width, b.querySelectorAll("img").length] : null;
  }));
  const want = (await cells()).map((_, i) => ['url("data:image/png;base64,', i ? `${-42 * i}px` : "0px", "42px", 0]);
  assert.ok(want.length >= 10, `${want.length} samples`);
  assert.deepEqual(await cells(), want, "the samples' cells of the sprite");
  const file = await page.$eval("button.sample", (b) => b.dataset.file);
  const cli = [...cliScores(modelPath, [path.join(root, "web/gallery", file)]).values()][0].score;
  await page.click(`button.sample[data-file="${file}"]`);
  // Without the early verdicts: a note.
  await page.waitForSelector("[data-testid=pending]", { timeout: 2000 });
  assert.match(await page.textContent("[data-testid=pending]"), new RegExp("gallery/" + file));
  await shot(page, "load-1-pending");
  // With them: the sample's verdict, drawn when the site was built, with the
  // CLI's score, still before the engine runs.
  early.release();
  await page.waitForSelector(".result.early [data-testid=verdict]", { timeout: 5000 });
  assert.equal(await page.textContent(".result .name"), "gallery/" + file);
  assert.equal(Number(await page.textContent("[data-testid=score]")), cli);
  assert.deepEqual(await liveControls(), [], "controls on the early verdict that would silently do nothing");
  // The small gallery is written into the page: no image was requested.
  assert.deepEqual(requests.filter((p) => p.startsWith("/web/gallery/") && !p.endsWith("/early.json")), [], "gallery requests");
  await shot(page, "load-1-early");
  assert.equal(await page.evaluate(() => performance.getEntriesByName("workers-ready").length), 0, "no Web Workers before the engine runs");
  // From now on the verdict never leaves the screen: the Go program's first
  // render keeps the early panel, then draws its own.
  await page.evaluate(() => {
    window.__lost = false;
    new MutationObserver(() => { if (!document.querySelector("[data-testid=verdict]")) window.__lost = true; })
      .observe(document.body, { subtree: true, childList: true });
  });
  wasm.release();
  // The click is scored by the page without another one, with the CLI's score.
  await page.waitForSelector(".result:not(.early) [data-testid=verdict]", { timeout: 120000 });
  assert.equal(await page.textContent(".result .name"), "gallery/" + file);
  assert.equal(Number(await page.textContent("[data-testid=score]")), cli);
  assert.equal(await page.evaluate(() => window.__lost), false, "the verdict left the screen while the page took over");
  assert.deepEqual(await cells(), want, "the Go program's samples, as the pre-rendered page's");
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").map((m) => m.name));
  for (const m of ["wasm-fetched", "wasm-compiled", "go-started", "model-loaded", "ready", "first-verdict"]) {
    assert.ok(marks.includes(m), `performance mark ${m} (have ${marks})`);
  }
  // The workers start after the first verdict, when the page is idle, with
  // the page's own compiled program: app.wasm is fetched once, and there is
  // no other wasm.
  await page.waitForSelector("body[data-workers]", { timeout: 60000 });
  assert.ok(Number(await page.getAttribute("body", "data-workers")) >= 1, "workers started");
  const readyAt = await page.evaluate(() => performance.getEntriesByName("ready")[0].startTime);
  const workerAt = await page.evaluate(() => performance.getEntriesByType("resource").find((r) => r.name.endsWith("/worker.js"))?.startTime);
  assert.ok(workerAt > readyAt, `worker.js requested at ${workerAt} ms, data-ready at ${readyAt} ms`);
  assert.deepEqual(requests.filter((p) => p.endsWith(".wasm")), ["/web/app.wasm"], "the wasm requested");
  await page.close();
});

test("a click on a sample before the rest of the page has arrived is answered at once, and in the panel once it arrives; nothing else is fetched before", async () => {
  // The page in two pieces: up to the gallery at once, the rest (the result
  // panel among it) only after the click; the early verdicts never come.
  const html = fs.readFileSync(path.join(siteDir, "index.html"), "utf8");
  const cut = html.indexOf('<div class="panel result"');
  assert.ok(cut > html.indexOf('class="sample"'), "the result panel comes after the gallery");
  let rest;
  const restReady = new Promise((r) => (rest = r));
  const split = http.createServer(async (req, res) => {
    const p = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (p === "/" || p === "/index.html") {
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.write(html.slice(0, cut) + " ".repeat(4096)); // past the parser's first chunk
      await restReady;
      res.end(html.slice(cut));
      return;
    }
    const f = siteFile(siteDir, p);
    if (!f) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "Content-Type": contentTypes[path.extname(f)] || "application/octet-stream" });
    fs.createReadStream(f).pipe(res);
  });
  await new Promise((r) => split.listen(0, "127.0.0.1", r));
  const own = await launch();
  try {
    const page = await own.ctx.newPage();
    page.on("pageerror", (e) => console.error("pageerror:", e.message));
    await page.route("**/web/gallery/early.json", () => {}); // never answered
    await page.route("**/web/app.wasm", () => {});
    const asked = [];
    page.on("request", (r) => asked.push(new URL(r.url()).pathname));
    // What the page loads once it has been parsed and drawn (boot.js's settled).
    const later = () => asked.filter((p) => /app\.wasm$|\.safetensors$|early\.json$|\/wasm_exec\.js$|\/app\.js$/.test(p));
    await page.goto(`http://127.0.0.1:${split.address().port}/`, { waitUntil: "commit" });
    await page.waitForSelector("button.sample");
    assert.equal(await page.$(".result"), null, "the result panel is not there yet");
    // While the page is being parsed it downloads neither the engine nor
    // the model nor go-app's scripts.
    await page.waitForTimeout(300);
    assert.deepEqual(later(), [], "fetched while the page was being parsed");
    const file = await page.$eval("button.sample", (b) => b.dataset.file);
    const earlyAsked = page.waitForRequest("**/web/gallery/early.json", { timeout: 5000 });
    await page.click(`button.sample[data-file="${file}"]`);
    await earlyAsked; // a click asks for the early verdicts at once
    assert.deepEqual(later().filter((p) => !p.endsWith("early.json")), [], "fetched before the page was parsed");
    // Answered at once, under the gallery: the panel has not arrived.
    await page.waitForSelector(".gallery + [data-testid=pending]", { timeout: 5000 });
    assert.match(await page.textContent("[data-testid=pending]"), new RegExp("gallery/" + file));
    assert.equal(await page.$(".result"), null, "answered before the rest of the page arrived");
    const wasmAsked = page.waitForRequest("**/web/app.wasm", { timeout: 10000 });
    rest();
    await wasmAsked; // once the page is parsed and drawn
    // Then the note moves into the panel: one note, not two.
    await page.waitForSelector(".result [data-testid=pending]", { timeout: 5000 });
    assert.equal(await page.locator("[data-testid=pending]").count(), 1);
    assert.match(await page.textContent(".result [data-testid=pending]"), new RegExp("gallery/" + file));
  } finally {
    await own.close();
    split.close();
  }
});

test("when the engine or go-app's scripts cannot be had, the page says so", async () => {
  for (const missing of ["/web/app.wasm", "/app.js", "/wasm_exec.js"]) {
    const own = await launch(); // a fresh profile: no service worker answers
    try {
      const page = await own.ctx.newPage();
      await page.route("**" + missing, (route) => route.fulfill({ status: 404, body: "not found" }));
      await page.goto(server.url);
      await page.waitForSelector(".error-banner", { timeout: 20000 }).catch(() => {});
      const text = await page.textContent(".banner");
      assert.match(text, /The demo could not start/, missing);
      assert.ok(text.includes(missing), `${missing}: the banner names what is missing: ${text}`);
    } finally {
      await own.close();
    }
  }
});

test("a batch before the workers have started waits for them and is scored in them", async () => {
  // A fresh profile: no service worker that would answer for worker.js.
  const own = await launch();
  const page = await own.ctx.newPage();
  // Keep the idle start from happening first: worker.js is held until the batch asks.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/web/worker.js", async (route) => { await held; await route.continue(); });
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  await page.click("button.tab:has-text('Batch')");
  await page.click("button:has-text('Score all sample images')");
  release();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=batch-table] tbody tr").length > 0 &&
    ![...document.querySelectorAll("[data-testid=batch-table] tbody td.num")].some((td) => td.textContent === "…"), null, { timeout: 120000 });
  assert.ok(Number(await page.getAttribute("body", "data-workers")) >= 1, "scored in the workers");
  await own.close();
});

test("the site ships gzip files beside the big ones, equal to the originals", () => {
  for (const f of ["web/app.wasm", path.relative(siteDir, modelPath), "index.html", "web/gallery/early.json"]) {
    const gz = path.join(siteDir, f + ".gz");
    assert.ok(fs.existsSync(gz), gz);
    assert.ok(zlib.gunzipSync(fs.readFileSync(gz)).equals(fs.readFileSync(path.join(siteDir, f))), f + ".gz differs from " + f);
  }
});

test("the static server sends the .gz with Content-Encoding to a client that accepts it", async () => {
  const plain = await fetch(server.url + "web/app.wasm", { headers: { "Accept-Encoding": "identity" } });
  assert.equal(plain.headers.get("content-encoding"), null);
  assert.equal(plain.headers.get("content-type"), "application/wasm");
  const gz = await fetch(server.url + "web/app.wasm", { headers: { "Accept-Encoding": "gzip" } });
  assert.equal(gz.headers.get("content-encoding"), "gzip");
  assert.equal(gz.headers.get("content-type"), "application/wasm");
  // (fetch decompresses: both bodies are app.wasm itself.)
  const want = fs.readFileSync(path.join(siteDir, "web/app.wasm"));
  assert.ok(Buffer.from(await gz.arrayBuffer()).equals(want), "gzip body");
  assert.ok(Buffer.from(await plain.arrayBuffer()).equals(want), "plain body");
});
