// Shared set-up of the browser tests: the site's static server, a fresh
// headless Chromium (playwright-core from the cache, see
// scripts/test-browser.sh), the CLI for reference scores.
import { createRequire } from "node:module";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const npm = process.env.GANOMALY_NPM || path.join(os.homedir(), ".cache/ganomaly-go/npm/node_modules");
const require = createRequire(path.join(npm, "noop.js"));
const { chromium } = require("playwright-core");

export const siteDir = process.env.SITE_DIR || path.join(root, "build/site");
export const artifacts = process.env.ARTIFACTS || path.join(root, "build/test-artifacts");
fs.mkdirSync(artifacts, { recursive: true });

// contentTypes are the Content-Types a static host sends the site's files with.
export const contentTypes = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
  ".wasm": "application/wasm", ".png": "image/png", ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json",
};

// siteFile is the file under dir that the URL path p names (index.html for a
// folder), or null when there is none or p would leave dir. For the tests'
// own small servers in node, which need hooks the project's server lacks.
export function siteFile(dir, p) {
  if (p.endsWith("/")) p += "index.html";
  const file = path.join(dir, path.normalize(p));
  return file.startsWith(dir) && fs.existsSync(file) && fs.statSync(file).isFile() ? file : null;
}

// startServer serves the built site with the project's own static server
// (app/cmd/site -serve) on a free port and resolves to its URL.
export function startServer(prefix = "", dir = siteDir) {
  const bin = process.env.SITE_BIN;
  const args = ["-out", dir, "-no-build", "-serve", "127.0.0.1:0", "-prefix", prefix];
  const proc = bin ? spawn(bin, args, { cwd: root }) : spawn("go", ["run", "./app/cmd/site", ...args], { cwd: root });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("static server did not start: " + out)), 120000);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/serving .* at (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => proc.kill() });
      }
    });
    proc.stderr.on("data", (d) => (out += d));
    proc.on("exit", (code) => reject(new Error(`static server exited ${code}: ${out}`)));
  });
}

// launch opens a fresh Chromium profile with the flags CI needs.
export async function launch(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ganomaly-chromium-"));
  const ctx = await chromium.launchPersistentContext(dir, {
    ...opts,
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return { ctx, close: async () => { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

// cliScores runs `ganomaly score -format json` and maps path -> record.
export function cliScores(model, files) {
  const bin = process.env.GANOMALY_BIN;
  const args = ["score", "-format", "json", "-model", model, ...files];
  let out;
  try {
    out = bin ? execFileSync(bin, args, { cwd: root }) : execFileSync("go", ["run", "./cmd/ganomaly", ...args], { cwd: root });
  } catch (e) {
    out = e.stdout; // exit 1: some files failed, the rest are scored
  }
  // An array of records; a labelled folder adds a final {summary: {auroc, ...}}.
  const recs = JSON.parse(out.toString());
  const map = new Map(recs.filter((r) => r.path !== undefined).map((r) => [path.resolve(root, r.path), r]));
  map.summary = recs.find((r) => r.summary)?.summary;
  return map;
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(artifacts, name + ".png"), fullPage: true });
}

// until polls an async predicate in the page until it returns true (Playwright's
// waitForFunction takes a returned Promise as truthy and does not wait for it).
export async function until(page, fn, arg, { timeout = 60000, every = 500, what = "condition" } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// clearHttpCache empties Chromium's HTTP cache, so that what answers offline
// afterwards is the service worker alone.
export async function clearHttpCache(ctx, page) {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.clearBrowserCache");
  await cdp.detach();
}

// endTrace ends a CDP trace started with transferMode "ReturnAsStream" and
// returns its bytes (the Chromium trace's JSON).
export async function endTrace(cdp) {
  const done = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
  await cdp.send("Tracing.end");
  const { stream } = await done;
  const parts = [];
  for (;;) {
    const r = await cdp.send("IO.read", { handle: stream, size: 1 << 20 });
    parts.push(Buffer.from(r.data, r.base64Encoded ? "base64" : "utf8"));
    if (r.eof) break;
  }
  await cdp.send("IO.close", { handle: stream });
  return Buffer.concat(parts);
}
