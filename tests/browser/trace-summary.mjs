// Summarises a Chromium performance trace written by make bench-load with
// BENCH_LOAD_TRACE=DIR:
//
//   node tests/browser/trace-summary.mjs DIR/load-1.json [TOP] [NAMES.wasm]
//
// The site's wasm is linked with -s (no names), so the profile says
// wasm-function[N]; NAMES.wasm, the same program built without -s -w
// (GOOS=js GOARCH=wasm go build -trimpath -o x.wasm ./wasm/app), has the
// same function indices and gives the Go names.
//
// Prints, per thread of the page's renderer (and the browser's network
// thread), the busiest kinds of top-level task (milliseconds, summed), then
// from the V8 CPU profile the functions with the most self time and the most
// total (inclusive) time on the page's main thread, wasm functions included
// (Go's names: package.function). Times are wall-clock on a shared machine:
// compare shares within one trace, not across machines.
import fs from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node tests/browser/trace-summary.mjs TRACE.json [TOP]");
  process.exit(2);
}
const top = Number(topArg || 25);
const wasmNames = process.argv[4] ? readNames(process.argv[4]) : new Map();

// readNames returns function index -> name from a wasm file's name section.
function readNames(f) {
  const b = fs.readFileSync(f);
  let p = 8;
  const uleb = () => {
    let v = 0, sh = 0, c;
    do { c = b[p++]; v += (c & 0x7f) * 2 ** sh; sh += 7; } while (c & 0x80);
    return v;
  };
  const names = new Map();
  while (p < b.length) {
    const id = b[p++], size = uleb(), end = p + size;
    if (id === 0) {
      const l = uleb();
      if (b.toString("utf8", p, p + l) === "name") {
        p += l;
        while (p < end) {
          const sub = b[p++], ssize = uleb(), send = p + ssize;
          if (sub === 1) {
            for (let n = uleb(); n > 0; n--) {
              const idx = uleb(), nl = uleb();
              names.set(idx, b.toString("utf8", p, p + nl));
              p += nl;
            }
          }
          p = send;
        }
      }
    }
    p = end;
  }
  return names;
}
const raw = JSON.parse(fs.readFileSync(file, "utf8"));
const events = Array.isArray(raw) ? raw : raw.traceEvents;

const threadName = new Map();
for (const e of events) if (e.ph === "M" && e.name === "thread_name") threadName.set(`${e.pid}:${e.tid}`, e.args.name);

// Top-level complete events per thread: those not inside another one.
const byThread = new Map();
for (const e of events) {
  if (e.ph !== "X" || !e.dur) continue;
  const k = `${e.pid}:${e.tid}`;
  if (!byThread.has(k)) byThread.set(k, []);
  byThread.get(k).push(e);
}
const ms = (us) => (us / 1000).toFixed(1);
for (const [k, list] of byThread) {
  list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const sums = new Map();
  let end = -Infinity, busy = 0;
  for (const e of list) {
    if (e.ts < end) continue; // nested
    end = e.ts + e.dur;
    busy += e.dur;
    sums.set(e.name, (sums.get(e.name) || 0) + e.dur);
  }
  if (busy < 20000) continue; // threads busy less than 20 ms
  const rows = [...sums].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, d]) => `${n} ${ms(d)}`);
  console.log(`${threadName.get(k) || k}: busy ${ms(busy)} ms: ${rows.join(", ")}`);
}

// The CPU profile: ProfileChunk events carry nodes, samples and time deltas.
const profiles = new Map();
for (const e of events) {
  if (e.name !== "ProfileChunk" && e.name !== "Profile") continue;
  const id = `${e.pid}:${e.id}`;
  if (!profiles.has(id)) profiles.set(id, { nodes: new Map(), samples: [], deltas: [], tid: e.tid });
  const p = profiles.get(id);
  const d = e.args?.data || {};
  for (const n of d.cpuProfile?.nodes || []) p.nodes.set(n.id, n);
  p.samples.push(...(d.cpuProfile?.samples || []));
  p.deltas.push(...(d.timeDeltas || []));
}
for (const [id, p] of profiles) {
  if (p.samples.length < 50) continue;
  const self = new Map(), total = new Map();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.deltas[i + 1] ?? 0;
    let n = p.nodes.get(p.samples[i]);
    const name = (x) => {
      const f = x.callFrame.functionName;
      const m = /^wasm-function\[(\d+)\]$/.exec(f);
      return (m && wasmNames.get(Number(m[1]))) || f || `(${x.callFrame.url || "anonymous"})`;
    };
    if (!n) continue;
    self.set(name(n), (self.get(name(n)) || 0) + dt);
    const seen = new Set();
    for (; n; n = p.nodes.get(n.parent)) {
      const nm = name(n);
      if (!seen.has(nm)) total.set(nm, (total.get(nm) || 0) + dt);
      seen.add(nm);
    }
  }
  const sumAll = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`\nCPU profile ${id}: ${ms(sumAll)} ms sampled`);
  console.log("self:  " + [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([n, d]) => `${n} ${ms(d)}`).join("; "));
  console.log("total: " + [...total].sort((a, b) => b[1] - a[1]).slice(0, top).map(([n, d]) => `${n} ${ms(d)}`).join("; "));
}
