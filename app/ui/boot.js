// The page's first script, inlined into index.html by Handler after the site
// data (window.ganomalySite, see SiteData). It runs while the HTML is still
// being parsed, loads go-app's wasm_exec.js and app.js later, and makes the
// pre-rendered page useful before the Go program runs:
//  - once the page has been parsed and drawn, it fetches the gallery's
//    early verdicts, then app.wasm and the default model, so the model
//    downloads while app.wasm compiles (the Go program takes the bytes from
//    window.ganomalyEarly.model);
//  - it loads app.wasm itself: a plain fetch streamed into
//    WebAssembly.compileStreaming (go-app's loader pipes the download
//    through a JavaScript progress stream), then ganomalyInitWebAssembly,
//    called by app.js in place of go-app's loader, instantiates it and
//    starts Go; the phases are performance marks (wasm-fetched,
//    wasm-compiled), and go-app's full-screen loader is not shown over the
//    page;
//  - a click on a gallery sample before the Go program has mounted the page
//    is remembered (window.ganomalyEarly.pick) and answered with the
//    sample's verdict drawn when the site was built (early.json,
//    window.ganomalyEarly.results), or with a note while that file has not
//    arrived; the Go program shows the same until the model is loaded, then
//    scores that sample itself.
(function () {
  "use strict";
  const site = window.ganomalySite;
  const early = (window.ganomalyEarly = { pick: null, model: null, modelFile: site.defaultModel });
  const bytes = (url, priority) => fetch(url, { priority: priority || "auto" }).then((r) => {
    if (!r.ok) throw new Error("fetching " + url + ": HTTP " + r.status);
    return r.arrayBuffer();
  });
  // Nothing is fetched before the page has been parsed and drawn once. On a
  // small machine every download and every compile competes for the cores
  // with the parser and the page's first layout, and a click is answered
  // only once the page is laid out; the page itself needs nothing from the
  // network (docs/app.md, "The answered click"). settled resolves after the
  // first frame that follows DOMContentLoaded (or a second later in a
  // hidden tab, which draws no frames).
  const settled = new Promise((r) => {
    const go = () => {
      requestAnimationFrame(() => setTimeout(r, 0));
      setTimeout(r, 1000);
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go, { once: true });
    else go();
  });
  // First of all then, the default model's verdicts for the gallery, drawn
  // when the site was built (early.json, see ui.EarlyResults): gallery file
  // → result panel. (Requested first: over HTTP/1.1 the browser's six
  // connections to the host are soon taken by the big files.) A click on a
  // sample before that requests them at once. early.arrived resolves once
  // they are in early.results, or could not be had.
  let earlyFetch = null;
  const fetchEarly = () => earlyFetch || (earlyFetch = !site.earlyURL ? Promise.resolve() :
    fetch(site.earlyURL, { priority: "high" }).then((r) => (r.ok ? r.json() : null)).then((j) => {
      if (!j || j.model !== site.defaultModel) return;
      early.results = j.results;
      if (early.pick) answer();
    }).catch(() => {})); // then a click gets the note below
  early.arrived = settled.then(fetchEarly);
  // Then app.wasm: compiling streams along with the download, off the main
  // thread. Compiling takes both cores of a small machine for a while: it
  // starts once the early verdicts are here (or a second after the page has
  // settled, should they be slow to come).
  const wasmResponse = settled.then(() => fetch(site.wasmURL));
  const firstThings = Promise.race([early.arrived, settled.then(() => new Promise((r) => setTimeout(r, 1000)))]);
  const compiled = firstThings.then(() => WebAssembly.compileStreaming(wasmResponse)).catch(
    // A host that sends .wasm without application/wasm breaks streaming.
    () => bytes(site.wasmURL).then((b) => WebAssembly.compile(b)));
  compiled.catch(() => {}); // reported by ganomalyInitWebAssembly
  // go-app's scripts (Go's wasm_exec.js, then app.js, which calls
  // ganomalyInitWebAssembly) were taken out of the page (ui.DeferScripts):
  // run before DOMContentLoaded, they kept the page from answering a click.
  // They are needed only once app.wasm has compiled and load meanwhile.
  firstThings.then(() => {
    for (const src of site.scripts || []) {
      const s = document.createElement("script");
      s.src = src;
      s.async = false; // in order
      s.onerror = () => fail(new Error("loading " + src + " failed"));
      document.head.append(s);
    }
  });
  // The batch view's Web Workers run the same program (as the engine only):
  // the page hands them this module, so the site ships no second wasm and
  // the workers compile nothing.
  early.module = compiled;
  // The model is needed only once the program runs, long after this: its
  // download waits for the early verdicts too.
  early.model = firstThings.then(() => bytes(site.modelURL));
  early.model.catch(() => {}); // the Go program reports the error when it awaits it
  // The gallery's images for the Go program (null for one that failed),
  // all at once once the page has settled: each fetch() costs the
  // page's thread a few milliseconds, and the pre-rendered page shows them
  // with <img> already.
  // (None when the site wrote the gallery into the page: SiteData's data.)
  const gallery = site.gallery || [];
  if (!gallery.length || !gallery.every((it) => it.data)) {
    early.gallery = settled.then(() => Promise.all(gallery.map((it) => bytes(site.galleryURL + it.file, "low").catch(() => null))));
  }

  // fail says on the page's banner that the program could not start (the
  // first reason: a missing wasm_exec.js makes app.js fail too).
  function fail(err) {
    console.error("the demo could not start:", err);
    const b = document.querySelector(".banner");
    if (b && !b.classList.contains("error-banner")) {
      b.className = "banner error-banner";
      b.textContent = "The demo could not start: " + String(err) + ". Reload the page; if this persists, the site was not built or served correctly (make site).";
    }
  }

  window.ganomalyInitWebAssembly = async function () {
    const loader = document.getElementById("app-wasm-loader");
    if (loader) loader.remove();
    try {
      const go = new Go();
      const mod = await compiled;
      const res = performance.getEntriesByName(new URL(site.wasmURL, location.href).href)[0];
      if (res && res.responseEnd > 0) performance.mark("wasm-fetched", { startTime: res.responseEnd });
      performance.mark("wasm-compiled");
      const inst = await WebAssembly.instantiate(mod, go.importObject);
      go.run(inst).catch(fail);
    } catch (err) {
      fail(err);
    }
  };

  // ganomalyIdle tells the service worker that the page has shown its first
  // verdict, so it may now download everything it keeps for offline use.
  window.ganomalyIdle = async function () {
    if (!("serviceWorker" in navigator)) return;
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg) return;
    const tell = (w) => w && w.postMessage({ ganomaly: "idle" });
    tell(reg.installing); tell(reg.waiting); tell(reg.active);
    reg.addEventListener("updatefound", () => tell(reg.installing));
  };

  // ganomalyKeep asks the service worker to keep the Train view's files
  // (fetched when the view was opened) for offline use.
  window.ganomalyKeep = async function (urls) {
    if (!("serviceWorker" in navigator)) return;
    const reg = await navigator.serviceWorker.ready;
    reg.active && reg.active.postMessage({ ganomaly: "keep", urls: urls });
  };

  document.addEventListener("click", (e) => {
    if (window.ganomalyMounted) return; // the Go program's own handlers answer
    const s = e.target.closest && e.target.closest("button.sample");
    if (!s) return;
    early.pick = s.dataset.file;
    fetchEarly();
    answer();
  }, true);

  // answer shows the clicked sample's early verdict, or a note that it is
  // scored once the model has loaded.
  function answer() {
    if (window.ganomalyGo) return; // mounting now: the Go program shows it
    const panel = document.querySelector(".result");
    const note = () => {
      const p = document.createElement("p");
      p.className = "pending";
      p.dataset.testid = "pending";
      p.textContent = site.pendingText.replace("{name}", "gallery/" + early.pick);
      return p;
    };
    if (!panel) {
      // A click on a sample before the parser has reached the result panel
      // (the page arrives in pieces and is drawn as it comes): the note goes
      // under the gallery at once, and into the panel as soon as the rest is
      // parsed ("interactive" comes before the deferred scripts run).
      const gallery = document.querySelector(".gallery");
      if (early.note) early.note.replaceWith((early.note = note()));
      else if (gallery) gallery.after((early.note = note()));
      if (document.readyState === "loading" && !early.waiting) {
        early.waiting = true;
        document.addEventListener("readystatechange", answer, { once: true });
      }
      return;
    }
    if (early.note) early.note.remove();
    early.note = null;
    const html = early.results && early.results[early.pick];
    if (html) {
      const t = document.createElement("template");
      t.innerHTML = html;
      panel.replaceWith(t.content.firstElementChild);
      return;
    }
    panel.replaceChildren(note());
  }
})();
