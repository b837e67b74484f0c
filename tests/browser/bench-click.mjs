// Cold loads of several copies of a site, alternating, clicked as make
// bench-load clicks (scripts/bench-click.sh): for comparing variants of the
// page (a copy with something removed or changed, docs/app.md "The answered
// click") where the goal's ±100 ms per load needs many loads each.
//
//   node tests/browser/bench-click.mjs N DIR[:REGEXP] ...
//
// Each round loads every DIR once, in order, in a fresh browser; a URL path
// matching REGEXP is answered 404 (to take one resource away). Per DIR a line
// with the medians of the click (ms since navigation, when the page's first
// click listener saw it) and of the first contentful paint, and every load's
// click. BENCH_CLICK_CPU=1 also traces each load and reports, from
// navigation to the click, the CPU time (trace thread time) of the page's
// main thread, and the machine's busy and idle time (all cores, /proc/stat).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { contentTypes, endTrace, launch, siteFile } from "./lib.mjs";

const rounds = Number(process.argv[2]);
const variants = process.argv.slice(3).map((a) => {
  const i = a.indexOf(":");
  return { name: a, dir: path.resolve(i < 0 ? a : a.slice(0, i)), block: i < 0 ? null : new RegExp(a.slice(i + 1)), rows: [] };
});
if (!(rounds > 0) || !variants.length) {
  console.error("usage: node tests/browser/bench-click.mjs ROUNDS DIR[:REGEXP] ...");
  process.exit(2);
}
const cpu = process.env.BENCH_CLICK_CPU === "1";

let cur;
const server = http.createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const file = cur.block && cur.block.test(p) ? null : siteFile(cur.dir, p);
  if (!file) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { "Content-Type": contentTypes[path.extname(file)] || "application/octet-stream", "Cache-Control": "no-cache" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/`;

// machineCPU is the machine's busy and idle time (ms, all cores) so far,
// from /proc/stat.
function machineCPU() {
  const t = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = t[3] + t[4]; // idle, iowait
  return { busy: (t.reduce((x, y) => x + y, 0) - idle) * 10, idle: idle * 10 }; // clock ticks of 10 ms
}

// mainThreadCPU sums the thread time of the page's main thread's tasks from
// navigation to the click.
function mainThreadCPU(events) {
  const nav = events.find((e) => e.name === "navigationStart" && e.args?.data?.isLoadingMainFrame && e.args.data.documentLoaderURL?.startsWith("http"));
  const click = events.find((e) => e.name === "bench-click");
  if (!nav || !click) return null;
  let us = 0;
  for (const e of events) {
    if (e.ph === "X" && e.name === "RunTask" && e.pid === nav.pid && e.tid === nav.tid && e.ts >= nav.ts && e.ts <= click.ts) us += e.tdur ?? 0;
  }
  return Math.round(us / 1000);
}

for (let i = 0; i < rounds; i++) {
  for (const v of variants) {
    cur = v;
    const b = await launch();
    try {
      const page = b.ctx.pages()[0] || (await b.ctx.newPage());
      const cdp = cpu ? await b.ctx.newCDPSession(page) : null;
      if (cdp) await cdp.send("Tracing.start", { transferMode: "ReturnAsStream", traceConfig: { includedCategories: ["disabled-by-default-devtools.timeline", "devtools.timeline", "loading", "blink.user_timing"] } });
      await page.addInitScript(() => {
        window.__click = null;
        document.addEventListener("click", (e) => {
          if (window.__click === null && e.target.closest?.("button.sample")) {
            window.__click = performance.now();
            performance.mark("bench-click");
          }
        }, true);
      });
      const before = cpu ? machineCPU() : null;
      await page.goto(url, { waitUntil: "commit" });
      // As make bench-load: a real mouse click at the first sample once it is
      // laid out, again until the page has seen one.
      for (const t0 = Date.now(); ; await page.waitForTimeout(5)) {
        if (Date.now() - t0 > 30000) throw new Error(`${v.name}: no gallery sample to click within 30 s`);
        const at = await page.evaluate(() => {
          const s = document.querySelector("button.sample");
          const r = s && s.getBoundingClientRect();
          return r && r.width > 0 ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null;
        }).catch(() => null);
        if (!at) continue;
        await page.mouse.click(at.x, at.y);
        if (await page.evaluate(() => window.__click !== null).catch(() => false)) break;
      }
      const row = { click: Math.round(await page.evaluate(() => window.__click)) };
      if (cpu) {
        const after = machineCPU();
        row.machineBusy = after.busy - before.busy;
        row.machineIdle = after.idle - before.idle;
        row.mainThreadCPU = mainThreadCPU(JSON.parse(await endTrace(cdp)).traceEvents);
      }
      await page.waitForTimeout(300); // for the paint entry of a click that came first
      row.fcp = Math.round(await page.evaluate(() => performance.getEntriesByType("paint").find((e) => e.name === "first-contentful-paint")?.startTime ?? NaN));
      v.rows.push(row);
    } finally {
      await b.close();
    }
  }
}
server.close();

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[(s.length - 1) >> 1] : null;
};
for (const v of variants) {
  const out = { site: v.name, loads: v.rows.length, click_ms: median(v.rows.map((r) => r.click)), first_paint_ms: median(v.rows.map((r) => r.fcp)), clicks: v.rows.map((r) => r.click) };
  if (cpu) {
    out.main_thread_cpu_ms = median(v.rows.map((r) => r.mainThreadCPU));
    out.machine_busy_ms = median(v.rows.map((r) => r.machineBusy));
    out.machine_idle_ms = median(v.rows.map((r) => r.machineIdle));
  }
  console.log(JSON.stringify(out));
}
