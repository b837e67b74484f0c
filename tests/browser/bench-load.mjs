// Cold loads of the demo site in headless Chromium (scripts/bench-load.sh,
// make bench-load). Each load gets a fresh profile and the site of make site
// served from localhost by a plain static server in this file (no
// compression, like the project's own -serve; BENCH_LOAD_GZIP=1 serves the
// precompressed .gz files beside the big ones instead, as a static host that
// honours them would). As soon as a gallery sample can be clicked it is
// clicked, once; the page's answer and its verdict are timed by a
// MutationObserver inside the page, so no round trip to node is counted.
//
// One JSON line per load (times in ms since navigation start):
//   first_paint_ms       first contentful paint
//   seen_ms              the benchmark first found a gallery sample laid out (its
//                        polls cost a round trip each: the click comes after)
//   click_ms             the click (as soon as a sample could be clicked)
//   click_answer_ms      the page shows an answer (a pending note or the verdict) to that click
//   ready_ms             <body data-ready="true">
//   verdict_ms           the verdict for the clicked sample is shown (for a
//                        gallery sample of the default model the one drawn
//                        when the site was built, early.json, see docs/app.md)
//   live_verdict_ms      the page's own verdict for it (its engine, once the
//                        model has loaded)
//   early_json           when early.json was requested, began and finished arriving
//   marks                the page's performance.mark()s: wasm-fetched, wasm-compiled,
//                        go-started, mounted, model-loaded, ready, first-verdict,
//                        workers-ready
//   before_verdict_gzip  gzip -9 bytes of the distinct files requested before the verdict
//   received_before_verdict_gzip  the same for those whose download had ended
//                        by then (Resource Timing's responseEnd)
//   fetched_gzip         the same for everything fetched during the load
//   offline_verdict_ms   then offline (service worker): reload, click, verdict
//   offline_live_verdict_ms  and the page's own verdict
//   floor_click_ms       then, in another fresh browser, click_ms for a page that
//                        holds one button and nothing else (served and clicked the
//                        same way): what a cold browser, a navigation and this
//                        benchmark's round trips cost on the machine at that time
// then a median line ({"median": true, ...}) and the gzip size of the whole
// site (site_gzip) and of all but what only the Train view loads
// (site_gzip_without_train). BENCH_LOADS sets the number of loads (default 5).
// BENCH_LOAD_TRACE=DIR writes each cold load's Chromium performance trace
// (the DevTools timeline, V8 and wasm compilation) to DIR/load-N.json, for
// the Performance panel or tests/browser/trace-summary.mjs; tracing slows
// the load a little, so leave it off for the numbers.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import zlib from "node:zlib";
import { siteDir, launch, contentTypes, siteFile, endTrace } from "./lib.mjs";

const loads = Number(process.env.BENCH_LOADS || 5);
const gzipServe = process.env.BENCH_LOAD_GZIP === "1";
const traceDir = process.env.BENCH_LOAD_TRACE || "";
if (traceDir) fs.mkdirSync(traceDir, { recursive: true });

const gzCache = new Map();
function gzipSize(file) {
  if (!gzCache.has(file)) gzCache.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length);
  return gzCache.get(file);
}

// The gzip sizes are computed before the first load: computed while serving,
// they blocked the server for the first load's app.wasm.
for (const f of walk(siteDir)) gzipSize(f);

// The floor: a page with one gallery-like button and nothing else, served
// by the same server and clicked by the same code, each load in its own
// fresh browser right after the site's. What it measures is the cost of a
// cold browser, a navigation and the benchmark's own round trips on this
// machine at that moment, which no page can go below.
const floorPath = "/__bench-floor.html";
const floorPage = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floor</title></head>' +
  '<body><button class="sample" data-file="floor">a sample</button></body></html>';

// The server logs every request it answers with a body: when, what, and the
// gzip -9 size of that file (what a compressing host would send).
let log = [];
const server = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (p === floorPath) {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" });
    res.end(floorPage);
    return;
  }
  const file = siteFile(siteDir, p);
  if (!file) {
    res.writeHead(404);
    res.end("not found");
    return;
  }
  if (p.endsWith("/")) p += "index.html";
  const headers = { "Content-Type": contentTypes[path.extname(file)] || "application/octet-stream", "Cache-Control": "no-cache" };
  let body = file;
  if (gzipServe && /\bgzip\b/.test(req.headers["accept-encoding"] || "") && fs.existsSync(file + ".gz")) {
    body = file + ".gz";
    headers["Content-Encoding"] = "gzip";
  }
  log.push({ t: Date.now(), path: p, gz: gzipSize(file) });
  res.writeHead(200, headers);
  fs.createReadStream(body).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/`;

// Installed in every page before its own scripts run.
function probe() {
  const b = (window.__bench = { seen: null, click: null, answer: null, verdict: null, live: null, ready: null, file: null });
  const check = () => {
    const now = performance.now();
    if (b.ready === null && document.body?.dataset.ready === "true") b.ready = now;
    if (b.click === null) return;
    if (b.answer === null && document.querySelector("[data-testid=pending], [data-testid=verdict]")) b.answer = now;
    if (b.verdict === null && document.querySelector("[data-testid=verdict]") &&
      document.querySelector(".result .name")?.textContent === "gallery/" + b.file) b.verdict = now;
    if (b.live === null && document.querySelector(".result:not(.early) [data-testid=verdict]") &&
      document.querySelector(".result .name")?.textContent === "gallery/" + b.file) b.live = now;
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener("click", (e) => {
    const s = e.target.closest?.("button.sample");
    if (s && b.click === null) { b.click = performance.now(); b.file = s.dataset.file; check(); }
  }, true);
}

// pickAndWait navigates, clicks the first sample as soon as it can be clicked
// and waits for its verdict; returns the page's numbers.
async function pickAndWait(page, navigate, { verdict = true } = {}) {
  await navigate();
  // A real mouse click at the first sample as soon as it is on screen (not
  // page.click, whose actionability checks wait for the layout to settle).
  for (const t0 = Date.now(); ; await page.waitForTimeout(5)) {
    if (Date.now() - t0 > 60000) throw new Error("no gallery sample to click within 60 s");
    const at = await page.evaluate(() => {
      const b = document.querySelector("button.sample");
      if (!b) return null;
      b.scrollIntoView({ block: "nearest" });
      const r = b.getBoundingClientRect();
      if (r.width > 0 && window.__bench.seen === null) window.__bench.seen = performance.now();
      return r.width > 0 ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null;
    }).catch(() => null); // a navigation in progress
    if (!at) continue;
    await page.mouse.click(at.x, at.y);
    if (await page.evaluate(() => window.__bench.click !== null).catch(() => false)) break;
  }
  if (verdict) await page.waitForFunction(() => window.__bench.live !== null && window.__bench.ready !== null, null, { timeout: 60000 });
  return page.evaluate(() => ({
    ...window.__bench,
    paint: performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint")?.startTime ?? null,
    origin: performance.timeOrigin,
    resources: performance.getEntriesByType("resource").map((e) => ({ path: new URL(e.name).pathname, start: e.requestStart, first: e.responseStart, end: e.responseEnd })),
    marks: Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)])),
  }));
}

const ctx = (browser) => browser.ctx;
async function startTrace(cdp) {
  await cdp.send("Tracing.start", {
    transferMode: "ReturnAsStream",
    traceConfig: {
      includedCategories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "v8.wasm",
        "disabled-by-default-v8.cpu_profiler", "disabled-by-default-v8.compile", "blink.user_timing", "loading", "netlog"],
    },
  });
}
async function stopTrace(cdp, file) {
  fs.writeFileSync(file, await endTrace(cdp));
}

const distinctGzip = (entries) => [...new Map(entries.map((e) => [e.path, e.gz])).values()].reduce((a, b) => a + b, 0);
const round = (x) => (x === null || x === undefined ? null : Math.round(x));

const rows = [];
for (let i = 0; i < loads; i++) {
  const browser = await launch();
  try {
    const page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
    await page.addInitScript(probe);
    page.on("pageerror", (e) => console.error("pageerror:", e.message));
    log = [];
    const cdp = traceDir ? await ctx(browser).newCDPSession(page) : null;
    if (cdp) await startTrace(cdp);
    const r = await pickAndWait(page, () => page.goto(url, { waitUntil: "commit" }));
    if (cdp) await stopTrace(cdp, path.join(traceDir, `load-${i + 1}.json`));
    const verdictAt = r.origin + r.verdict;
    const before = log.filter((e) => e.t <= verdictAt);
    const received = new Set(r.resources.filter((e) => e.end > 0 && e.end <= r.verdict).map((e) => e.path));
    // Let the page finish what it does after the verdict (the workers, the
    // service worker's cache), then go offline and reload.
    await page.waitForFunction(() => performance.getEntriesByName("workers-ready").length > 0, null, { timeout: 60000 }).catch(() => {});
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      for (let k = 0; k < 600 && !(await caches.keys()).length; k++) await new Promise((s) => setTimeout(s, 50));
    });
    await page.waitForTimeout(500);
    const fetched = distinctGzip(log);
    await browser.ctx.setOffline(true);
    const off = await pickAndWait(page, () => page.reload({ waitUntil: "commit" }));
    const row = {
      load: i + 1,
      first_paint_ms: round(r.paint), seen_ms: round(r.seen), click_ms: round(r.click), click_answer_ms: round(r.answer), ready_ms: round(r.ready), verdict_ms: round(r.verdict),
      live_verdict_ms: round(r.live),
      early_json: r.resources.filter((e) => e.path.endsWith("/early.json")).map((e) => [e.start, e.first, e.end].map(round))[0] ?? null,
      marks: r.marks,
      before_verdict_gzip: distinctGzip(before), received_before_verdict_gzip: distinctGzip(before.filter((e) => received.has(e.path))), fetched_gzip: fetched,
      fetched_before_verdict: [...new Set(before.map((e) => e.path))],
      offline_verdict_ms: round(off.verdict), offline_live_verdict_ms: round(off.live), offline_ready_ms: round(off.ready),
    };
    rows.push(row);
  } finally {
    await browser.close();
  }
  {
    const b = await launch();
    try {
      const page = b.ctx.pages()[0] || (await b.ctx.newPage());
      await page.addInitScript(probe);
      const f = await pickAndWait(page, () => page.goto(url + floorPath.slice(1), { waitUntil: "commit" }), { verdict: false });
      rows[rows.length - 1].floor_click_ms = round(f.click);
    } finally {
      await b.close();
    }
  }
  console.log(JSON.stringify(rows[rows.length - 1]));
}
server.close();

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return walk(p);
    return /\.(gz|br)$/.test(d.name) ? [] : [p];
  });
}
const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return v.length ? v[(v.length - 1) >> 1] + (v.length % 2 ? 0 : (v[v.length >> 1] - v[(v.length - 1) >> 1]) / 2) : null;
};
const med = { median: true, loads };
for (const k of ["first_paint_ms", "seen_ms", "click_ms", "click_answer_ms", "floor_click_ms", "ready_ms", "verdict_ms", "live_verdict_ms", "before_verdict_gzip", "received_before_verdict_gzip", "fetched_gzip", "offline_verdict_ms", "offline_live_verdict_ms", "offline_ready_ms"]) {
  med[k] = median(rows.map((r) => r[k]));
}
med.marks = {};
for (const m of new Set(rows.flatMap((r) => Object.keys(r.marks)))) med.marks[m] = median(rows.map((r) => r.marks[m]));
med.site_gzip = walk(siteDir).reduce((a, f) => a + gzipSize(f), 0);
// What only the Train view loads (its trainer and MNIST subset) apart.
med.site_gzip_without_train = walk(siteDir).filter((f) => !f.startsWith(path.join(siteDir, "web", "train") + path.sep)).reduce((a, f) => a + gzipSize(f), 0);
med.mib = { before_verdict: +(med.before_verdict_gzip / 2 ** 20).toFixed(2), received_before_verdict: +(med.received_before_verdict_gzip / 2 ** 20).toFixed(2), fetched: +(med.fetched_gzip / 2 ** 20).toFixed(2), site: +(med.site_gzip / 2 ** 20).toFixed(2), site_without_train: +(med.site_gzip_without_train / 2 ** 20).toFixed(2) };
console.log(JSON.stringify(med));
