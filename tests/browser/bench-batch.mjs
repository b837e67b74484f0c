// The batch view at scale (scripts/bench-batch.sh, make bench-batch): in
// headless Chromium, a folder of generated 28×28 grey PNGs (0.normal and
// 1.abnormal, so the live ROC runs too) is given to the folder picker, and
// the time until every row has its verdict and the longest stall of the
// page's main thread (the worst delay of a 50 ms timer) are measured for
// BENCH_BATCH_SIZES images (default 300, 3000, 10000), one page, one batch
// after the other. Beside them, in the same run, the workers' raw scoring
// rate: the same number of workers as the page's pool, driven directly
// (boot, model load and a warm-up excluded), decoding included, two images
// in flight per worker. Then, at the largest size: the stall of a sort, a
// filter, a name search and the CSV download, and the page's memory (JS heap
// after a garbage collection, and the Go wasm memory). One JSON object per
// line; the last line checks the goal.
//
// BENCH_PROFILE=MS records a CPU profile of the page's main thread (CDP
// Profiler, 100 µs samples) for the first MS milliseconds of each batch into
// build/bench-batch/batch-N.cpuprofile (open it in Chromium's DevTools,
// Performance panel); the site's wasm is stripped of its names by
// scripts/site.sh, so build one without -ldflags="-s -w" to read Go's
// function names. The profiler slows the page: stalls measured with it are
// not the benchmark's.
//
// BENCH_LEGACY=1 measures a build of the page from before the batch view had
// its progress hook (SITE_DIR=that build): completion is then polled from
// the table itself, and the interactions at the end are skipped.
import fs from "node:fs";
import path from "node:path";
import { root, siteDir, startServer, launch } from "./lib.mjs";
import { writeLabelled } from "./genimages.mjs";

const legacy = process.env.BENCH_LEGACY === "1";
const sizes = (process.env.BENCH_BATCH_SIZES || "300,3000,10000").split(",").map(Number);
const rawImages = Number(process.env.BENCH_RAW_IMAGES || 600);
const profileMs = Number(process.env.BENCH_PROFILE || 0);
const out = path.join(root, "build/bench-batch");
const dirs = Object.fromEntries(sizes.map((n) => [n, path.join(out, String(n))]));
for (const n of sizes) writeLabelled(dirs[n], n);

const models = JSON.parse(fs.readFileSync(path.join(siteDir, "web/models/index.json")));
const model = (models.find((m) => m.default) || models[0]).file;
const print = (o) => console.log(JSON.stringify(o));

const server = await startServer();
const browser = await launch();
try {
  const page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 180000 });
  const cdp = await browser.ctx.newCDPSession(page);
  const workers = await page.evaluate(() => Math.max(1, Math.min(navigator.hardwareConcurrency, 4)));

  // The stall probe: a 50 ms interval timer and the worst delay of its ticks.
  await page.evaluate(() => {
    // Besides the worst delay, the five worst with when they happened (ms
    // after start) and how many rows were done then, to tell a stall at the
    // start of a batch from one while it runs.
    const done = () => Number(document.querySelector(".batch-view")?.dataset.done || 0);
    window.__probe = {
      start() {
        this.max = 0; this.worst = []; this.t0 = this.last = performance.now(); clearInterval(this.id);
        this.id = setInterval(() => this.tick(), 50);
      },
      tick() {
        const t = performance.now(), d = t - this.last - 50;
        this.max = Math.max(this.max, d); this.last = t;
        if (d > 30) { this.worst.push([Math.round(t - this.t0), Math.round(d), done()]); this.worst.sort((a, b) => b[1] - a[1]); this.worst.length = Math.min(this.worst.length, 5); }
      },
      stop() { clearInterval(this.id); this.tick(); return this.max; },
    };
  });

  const raw = async () => {
    const files = writeLabelled(dirs[sizes[sizes.length - 1]], sizes[sizes.length - 1]).slice(0, rawImages);
    const b64 = files.map((f) => fs.readFileSync(f).toString("base64"));
    const r = await page.evaluate(async ({ workers, b64, model }) => {
      const imgs = b64.map((s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
      const wasm = await WebAssembly.compileStreaming(fetch("web/app.wasm"));
      const modelBytes = new Uint8Array(await (await fetch("web/models/" + model)).arrayBuffer());
      const ws = [];
      for (let i = 0; i < workers; i++) {
        const w = new Worker("web/worker.js");
        const waiting = [];
        w.onmessage = (e) => waiting.shift()(e.data);
        const call = (msg) => new Promise((resolve) => { waiting.push(resolve); w.postMessage(msg); });
        await call({ op: "boot", module: wasm });
        await call({ op: "load", bytes: modelBytes });
        await call({ op: "score", id: -1, name: "warm-up", bytes: imgs[0] });
        ws.push({ w, call });
      }
      let next = 0, errors = 0;
      const t0 = performance.now();
      await Promise.all(ws.flatMap((w) => [0, 1].map(async () => {
        while (next < imgs.length) {
          const i = next++;
          const r = await w.call({ op: "score", id: i, name: "b", bytes: imgs[i] });
          if (r.error) errors++;
        }
      })));
      const ms = performance.now() - t0;
      ws.forEach((w) => w.w.terminate());
      return { ms, errors };
    }, { workers, b64, model });
    if (r.errors) throw new Error(`raw rate: ${r.errors} images failed`);
    return { bench: "raw", workers, images: rawImages, images_per_s: +(rawImages / (r.ms / 1000)).toFixed(1) };
  };

  // The page's memory: JS heap after a collection, and the Go wasm memory.
  const mem = async () => {
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = await cdp.send("Runtime.getHeapUsage");
    const go = JSON.parse(await page.evaluate(() => window.ganomalyMemory()));
    return { js_heap_mb: +(heap.usedSize / 2 ** 20).toFixed(1), wasm_go_sys_mb: +(go.sys / 2 ** 20).toFixed(1), go_heap_inuse_mb: +(go.heap_inuse / 2 ** 20).toFixed(1) };
  };
  const idle = legacy ? {} : await mem();
  print({ bench: "memory", when: "ready, before any batch", ...idle });

  const rawBefore = await raw();
  print({ ...rawBefore, when: "before" });

  const results = {};
  for (const n of sizes) {
    await page.click("button.tab:has-text('Batch')");
    await page.evaluate(({ n, legacy }) => {
      const p = window.__probe;
      window.__run = { n, t0: 0, t1: 0, stall: 0 };
      document.addEventListener("change", (e) => {
        if (e.target?.dataset?.testid === "folder-input") { window.__run.t0 = performance.now(); p.start(); }
      }, { capture: true, once: true });
      if (legacy) {
        const id = setInterval(() => {
          const trs = document.querySelectorAll("[data-testid=batch-table] tbody tr");
          if (window.__run.t0 && trs.length === n && trs[n - 1].querySelector("td.num").textContent !== "…") {
            window.__run.t1 = performance.now(); window.__run.stall = p.stop(); clearInterval(id);
          }
        }, 250);
        return;
      }
      const obs = new MutationObserver(() => {
        const el = document.querySelector("[data-testid=batch-progress]");
        if (el?.dataset.state === "done" && Number(el.dataset.total) === n && window.__run.t0) {
          window.__run.t1 = performance.now(); window.__run.stall = p.stop(); obs.disconnect();
        }
      });
      obs.observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-state", "data-total"] });
    }, { n, legacy });
    if (profileMs) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
      await cdp.send("Profiler.start");
    }
    await page.setInputFiles("[data-testid=folder-input]", dirs[n]);
    if (profileMs) {
      await page.waitForTimeout(profileMs);
      const { profile } = await cdp.send("Profiler.stop");
      fs.writeFileSync(path.join(out, `batch-${n}.cpuprofile`), JSON.stringify(profile));
    }
    await page.waitForFunction(() => window.__run.t1 > 0, null, { timeout: 1800000, polling: 500 });
    const run = await page.evaluate(() => window.__run);
    if (!legacy) {
      const prog = await page.$eval("[data-testid=batch-progress]", (el) => ({ done: +el.dataset.done, total: +el.dataset.total }));
      if (prog.done !== n) throw new Error(`batch of ${n}: ${prog.done} rows done`);
    }
    const s = (run.t1 - run.t0) / 1000;
    const worst = await page.evaluate(() => window.__probe.worst);
    const r = { bench: "batch", images: n, workers, seconds: +s.toFixed(2), images_per_s: +(n / s).toFixed(1), longest_stall_ms: Math.round(run.stall), worst_stalls: worst };
    if (n === sizes[sizes.length - 1] && !legacy) {
      Object.assign(r, await mem());
    }
    results[n] = r;
    print(r);
  }

  // Interactions at the largest size, each with the stall it caused.
  const n = sizes[sizes.length - 1];
  const act = async (action, fn) => {
    await page.evaluate(() => window.__probe.start());
    const t0 = Date.now();
    await fn();
    await page.waitForTimeout(300);
    const stall = await page.evaluate(() => window.__probe.stop());
    const r = { bench: "ui", rows: n, action, ms: Date.now() - t0 - 300, longest_stall_ms: Math.round(stall) };
    print(r);
    return r;
  };
  const table = (attr, want) => page.waitForFunction(([a, w]) => document.querySelector("[data-testid=batch-table]").dataset[a] === w, [attr, want]);
  const ui = [];
  if (!legacy) {
    ui.push(await act("sort by name", async () => {
      await page.click("th button.sort:has-text('name')");
      await table("sort", "name+");
      await page.waitForFunction(() => /img-00000/.test(document.querySelector("[data-testid=batch-table] tbody tr td:nth-child(2)")?.textContent));
    }));
    ui.push(await act("sort by score", async () => {
      await page.click("th button.sort:has-text('score')");
      await table("sort", "score-");
    }));
    ui.push(await act("filter anomalous", async () => {
      await page.selectOption("[data-testid=batch-filter]", "anomalous");
      await table("filter", "anomalous|");
    }));
    await page.selectOption("[data-testid=batch-filter]", "");
    ui.push(await act("search name", async () => {
      await page.fill("[data-testid=batch-search]", "img-0999");
      await table("filter", "|img-0999");
    }));
    await page.fill("[data-testid=batch-search]", "");
    ui.push(await act("scroll to the end", async () => {
      await page.$eval(".batch-scroll", (el) => { el.scrollTop = el.scrollHeight; });
      await page.waitForTimeout(100);
    }));
    ui.push(await act("download CSV", async () => {
      const [dl] = await Promise.all([page.waitForEvent("download"), page.click("button:has-text('Download CSV')")]);
      const lines = fs.readFileSync(await dl.path(), "utf8").trim().split("\n").length;
      if (lines !== n + 1) throw new Error(`CSV has ${lines - 1} rows, want ${n}`);
    }));
  }

  const rawAfter = await raw();
  print({ ...rawAfter, when: "after" });
  const rawRate = (rawBefore.images_per_s + rawAfter.images_per_s) / 2;
  const small = results[sizes[0]], big = results[n];
  const maxStall = Math.max(...sizes.map((s) => results[s].longest_stall_ms), ...ui.map((u) => u.longest_stall_ms));
  const goal = {
    bench: "goal",
    large_vs_small: +(big.images_per_s / small.images_per_s).toFixed(2),
    large_vs_raw: +(big.images_per_s / rawRate).toFixed(2),
    longest_stall_ms: maxStall,
  };
  goal.ok = goal.large_vs_small >= 0.8 && goal.large_vs_raw >= 0.7 && maxStall < 100;
  print(goal);
} finally {
  await browser.close();
  server.stop();
}
