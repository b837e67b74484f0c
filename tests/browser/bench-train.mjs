// The Train view's speed in headless Chromium (scripts/bench-train.sh), one
// JSON line per measurement, all in one page:
//  1. the class demo with the default settings (MNIST, digit 2 abnormal,
//     ngf 16, isize 32, nz 100, batch 64, 3000 images, 5 epochs), timed from
//     pressing Start: the trainer's images/s in its one Web Worker (median of
//     the page's readings) and the seconds until the eval-mode AUROC first
//     reaches BENCH_DEMO_AUROC (default 0.85), with every evaluation's time
//     and AUROC (BENCH_DEMO=0 skips it);
//  2. then TensorFlow.js training the same network in the same page
//     (tests/browser/tfjs-train.mjs), each backend in turn: wasm as shipped
//     (it cannot train: it has no Conv2DBackpropFilter kernel), wasm with
//     that kernel added by the benchmark ("wasm+kernel"), webgl (SwiftShader
//     under --disable-gpu), cpu; then the ratio of the Go worker's images/s
//     to the fastest that trained and to the fastest stock backend, and how
//     far the backends' losses after one update agree (BENCH_TFJS=0 skips
//     it; BENCH_TFJS_SECONDS is each backend's timed span, default 20;
//     BENCH_TFJS_BACKENDS=wasm+kernel,cpu picks backends).
import { startServer, launch, shot } from "./lib.mjs";
import { loadTFJS, trainTFJS } from "./tfjs-train.mjs";

const goal = Number(process.env.BENCH_DEMO_AUROC || 0.85);
const timeout = 1000 * Number(process.env.BENCH_DEMO_TIMEOUT || 900);
const size = { batch: 64, isize: 32, nc: 1, nz: 100, ngf: 16 };
const server = await startServer();
const browser = await launch();
try {
  const page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  let goIPS = null;
  if (process.env.BENCH_DEMO !== "0") goIPS = await classDemo(page);
  if (process.env.BENCH_TFJS !== "0") {
    await tfjs(page, goIPS);
    if (goIPS !== null) await goAgain(page);
  }
} finally {
  await browser.close();
  server.stop();
}

async function classDemo(page) {
  await page.click("[data-testid=train-tab]");
  await page.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
  // The page's main-thread busy time (Chrome's TaskDuration): what drawing
  // the view costs beside the worker.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const busy = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration").value;
  const busy0 = await busy();
  const t0 = Date.now();
  await page.click("[data-testid=train-start]");
  // Poll the hooks; the AUROC is checked at every evaluation the page shows.
  const speeds = [];
  let reached = null, last = "", firstStep = null;
  const evals = [];
  for (;;) {
    const r = await page.evaluate(() => {
      const t = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent.trim() || "";
      return { status: t("train-status"), auroc: t("train-auroc"), ips: Number(t("train-images-per-s")), epoch: t("train-epoch"),
        steps: Number(document.querySelector("[data-testid=train-losses]")?.dataset.points || 0) };
    });
    const s = (Date.now() - t0) / 1000;
    if (r.ips > 0) speeds.push(r.ips);
    if (firstStep === null && r.steps >= 1) firstStep = s;
    if (r.auroc !== "" && r.auroc !== last) {
      last = r.auroc;
      evals.push({ seconds: Number(s.toFixed(1)), epoch: Number(r.epoch), steps: r.steps, auroc: Number(r.auroc) });
      if (reached === null && Number(r.auroc) >= goal) reached = { seconds: s, auroc: Number(r.auroc), steps: r.steps, evals: evals.length, busy: (await busy()) - busy0 };
    }
    if (r.status === "done" || r.status === "failed" || Date.now() - t0 > timeout) {
      await shot(page, "bench-train-demo");
      speeds.sort((a, b) => a - b);
      const median = speeds.length ? speeds[Math.floor(speeds.length / 2)] : null;
      // Where the time to the goal went: the training steps at the median
      // speed, the rest (evaluations, the strip, messages, start-up).
      const trainS = reached && median ? (reached.steps * size.batch) / median : null;
      // Where the products ran: "(SIMD)", the WebAssembly SIMD kernels of
      // engine/wasmsimd, or "(no SIMD)", the Go code.
      const kernels = await page.evaluate(() => document.querySelector("[data-testid=train-kernels]")?.textContent.trim() ?? null);
      console.log(JSON.stringify({ bench: "train", runtime: "chromium-wasm (pure-Go trainer, Train view worker)", workers: 1, ...size, images_per_s: median, kernels }));
      console.log(JSON.stringify({ bench: "class-demo", settings: "default (MNIST digit 2 abnormal, ngf 16, 3000 images, 5 epochs, seed 1)",
        goal_auroc: goal, seconds_to_goal: reached ? Number(reached.seconds.toFixed(1)) : null, auroc_at_goal: reached?.auroc ?? null,
        seconds_to_first_step: firstStep && +firstStep.toFixed(1), steps_to_goal: reached?.steps ?? null, evaluations_to_goal: reached?.evals ?? null,
        training_seconds_to_goal: trainS && +trainS.toFixed(1), other_seconds_to_goal: trainS && +(reached.seconds - trainS).toFixed(1),
        page_main_thread_busy_seconds_to_goal: reached && +reached.busy.toFixed(1), page_main_thread_busy_seconds: +((await busy()) - busy0).toFixed(1),
        final_status: r.status, final_auroc: Number(last) || null, total_seconds: Number(s.toFixed(1)), evaluations: evals }));
      return median;
    }
    await page.waitForTimeout(250);
  }
}

// goAgain measures the Go worker once more right after TF.js (a second run
// of the default settings for BENCH_AGAIN_SECONDS, default 25, then Stop):
// the machine is shared, and this reading is the closest in time to TF.js's.
async function goAgain(page) {
  const seconds = Number(process.env.BENCH_AGAIN_SECONDS || 25);
  await page.click("[data-testid=train-start]");
  const speeds = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 1000 * seconds) {
    await page.waitForTimeout(500);
    const ips = Number((await page.textContent("[data-testid=train-images-per-s]")) || 0);
    if (ips > 0) speeds.push(ips);
  }
  await page.click("[data-testid=train-stop]");
  speeds.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: "train", runtime: "chromium-wasm (pure-Go trainer, Train view worker), again right after TF.js", workers: 1, ...size,
    seconds, images_per_s: speeds.length ? speeds[Math.floor(speeds.length / 2)] : null }));
}

async function tfjs(page, goIPS) {
  const version = await loadTFJS(page);
  const minSeconds = Number(process.env.BENCH_TFJS_SECONDS || 20);
  const results = [];
  // "wasm+kernel": the wasm backend with the one kernel it lacks for
  // training added by this benchmark (tests/browser/tfjs-train.mjs).
  for (const name of (process.env.BENCH_TFJS_BACKENDS || "wasm,wasm+kernel,webgl,cpu").split(",")) {
    const backend = name.split("+")[0];
    const r = await trainTFJS(page, backend, { ...size, minSeconds, filterGrad: name.endsWith("+kernel"), ...(backend === "cpu" ? { minSteps: 1 } : {}) });
    r.backend = name;
    results.push(r);
    console.log(JSON.stringify({ bench: "train", runtime: `chromium-tfjs ${version}`, workers: 0, ...size, ...r, images_per_s: r.images_per_s ?? null }));
  }
  // Same seeds, same network: the losses of the second step (after one
  // update of G and D) agree across backends to float32 rounding; a wrong
  // gradient would not.
  const withSecond = results.filter((r) => r.second_losses);
  let agree = null;
  if (withSecond.length > 1) {
    const ref = withSecond[withSecond.length - 1];
    agree = Object.fromEntries(withSecond.slice(0, -1).map((r) => [`${r.backend} vs ${ref.backend}`,
      +Math.max(...Object.keys(ref.second_losses).map((k) => Math.abs(r.second_losses[k] - ref.second_losses[k]) / Math.abs(ref.second_losses[k]))).toExponential(2)]));
  }
  const trained = results.filter((r) => r.images_per_s > 0).sort((a, b) => b.images_per_s - a.images_per_s);
  const best = trained[0];
  // The fastest of stock TF.js (no kernel added by this benchmark).
  const stock = trained.find((r) => !r.kernels_added);
  console.log(JSON.stringify({ bench: "train-ratio", go_chromium_images_per_s: goIPS, tfjs_backend: best?.backend ?? null,
    tfjs_images_per_s: best?.images_per_s ?? null, go_over_tfjs: goIPS && best ? +(goIPS / best.images_per_s).toFixed(2) : null,
    tfjs_stock_backend: stock?.backend ?? null, tfjs_stock_images_per_s: stock?.images_per_s ?? null,
    go_over_tfjs_stock: goIPS && stock ? +(goIPS / stock.images_per_s).toFixed(2) : null,
    second_step_losses_max_rel_diff: agree,
    could_not_train: Object.fromEntries(results.filter((r) => r.error).map((r) => [r.backend, r.error])) }));
}
