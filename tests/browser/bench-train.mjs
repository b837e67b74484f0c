// The Train view's speed in headless Chromium (scripts/bench-train.sh):
// the class demo with the default settings (MNIST, digit 2 abnormal, ngf 16,
// isize 32, nz 100, batch 64, 3000 images, 5 epochs), timed from pressing
// Start. Prints one JSON line for the trainer's images/s in its one Web
// Worker and one for the class demo: seconds until the eval-mode AUROC first
// reaches BENCH_DEMO_AUROC (default 0.85), and the AUROC at the end.
import { startServer, launch, shot } from "./lib.mjs";

const goal = Number(process.env.BENCH_DEMO_AUROC || 0.85);
const timeout = 1000 * Number(process.env.BENCH_DEMO_TIMEOUT || 900);
const server = await startServer();
const browser = await launch();
try {
  const page = browser.ctx.pages()[0] || (await browser.ctx.newPage());
  page.on("pageerror", (e) => console.error("pageerror:", e.message));
  await page.goto(server.url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 120000 });
  await page.click("[data-testid=train-tab]");
  await page.waitForSelector("[data-testid=train-start]:not([disabled])", { timeout: 120000 });
  const t0 = Date.now();
  await page.click("[data-testid=train-start]");
  // Poll the hooks; the AUROC is checked at every evaluation the page shows.
  const speeds = [];
  let reached = null, last = "", evals = [];
  for (;;) {
    const r = await page.evaluate(() => {
      const t = (id) => document.querySelector(`[data-testid=${id}]`)?.textContent.trim() || "";
      return { status: t("train-status"), auroc: t("train-auroc"), ips: Number(t("train-images-per-s")), epoch: t("train-epoch") };
    });
    const s = (Date.now() - t0) / 1000;
    if (r.ips > 0) speeds.push(r.ips);
    if (r.auroc !== "" && r.auroc !== last) {
      last = r.auroc;
      evals.push({ seconds: Number(s.toFixed(1)), epoch: Number(r.epoch), auroc: Number(r.auroc) });
      if (reached === null && Number(r.auroc) >= goal) reached = { seconds: s, auroc: Number(r.auroc) };
    }
    if (r.status === "done" || r.status === "failed" || Date.now() - t0 > timeout) {
      await shot(page, "bench-train-demo");
      speeds.sort((a, b) => a - b);
      const median = speeds.length ? speeds[Math.floor(speeds.length / 2)] : null;
      console.log(JSON.stringify({ bench: "train", runtime: "chromium-wasm", workers: 1, batch: 64, isize: 32, nc: 1, nz: 100, ngf: 16, images_per_s: median }));
      console.log(JSON.stringify({ bench: "class-demo", settings: "default (MNIST digit 2 abnormal, ngf 16, 3000 images, 5 epochs, seed 1)",
        goal_auroc: goal, seconds_to_goal: reached ? Number(reached.seconds.toFixed(1)) : null, auroc_at_goal: reached?.auroc ?? null,
        final_status: r.status, final_auroc: Number(last) || null, total_seconds: Number(s.toFixed(1)), evaluations: evals }));
      break;
    }
    await page.waitForTimeout(250);
  }
} finally {
  await browser.close();
  server.stop();
}
