// The page's first script, inlined into index.html by Handler after the site
// data (window.ganomalySite, see SiteData). It runs while the HTML is still
// being parsed, before go-app's app.js, and makes the pre-rendered page
// useful before the Go program runs:
//  - it starts downloading the default model at once, so the download runs
//    while app.wasm downloads and compiles (the Go program takes the bytes
//    from window.ganomalyEarly.model);
//  - it loads app.wasm itself: a plain fetch streamed into
//    WebAssembly.compileStreaming from the start (go-app's loader starts
//    only once the document is parsed, and pipes the download through a
//    JavaScript progress stream), then ganomalyInitWebAssembly, called by
//    app.js in place of go-app's loader, instantiates it and starts Go; the
//    phases are performance marks (wasm-fetched, wasm-compiled), and go-app's
//    full-screen loader is not shown over the page;
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
  // First of all, the default model's verdicts for the gallery, drawn when
  // the site was built (early.json, see ui.EarlyResults): gallery file →
  // result panel. (Requested first: over HTTP/1.1 the browser's six
  // connections to the host are soon taken by the big files.) early.arrived
  // resolves once they are in early.results, or could not be had.
  early.arrived = !site.earlyURL ? Promise.resolve() :
    fetch(site.earlyURL, { priority: "high" }).then((r) => (r.ok ? r.json() : null)).then((j) => {
      if (!j || j.model !== site.defaultModel) return;
      early.results = j.results;
      if (early.pick) answer();
    }).catch(() => {}); // then a click gets the note below
  // Then app.wasm: compiling streams along with the download, off the main
  // thread, while the rest of the page is parsed and the model downloads.
  // Compiling takes both cores of a small machine for a while: it starts
  // once the early verdicts are here and the page has been painted (or after
  // 400 ms); the download starts now.
  const wasmResponse = fetch(site.wasmURL);
  const painted = new Promise((r) => {
    requestAnimationFrame(() => setTimeout(r, 0));
    setTimeout(r, 300); // no frames in a hidden tab
  });
  const firstThings = Promise.race([Promise.all([early.arrived, painted]), new Promise((r) => setTimeout(r, 400))]);
  const compiled = firstThings.then(() => WebAssembly.compileStreaming(wasmResponse)).catch(
    // A host that sends .wasm without application/wasm breaks streaming.
    () => bytes(site.wasmURL).then((b) => WebAssembly.compile(b)));
  compiled.catch(() => {}); // reported by ganomalyInitWebAssembly
  // The batch view's Web Workers run the same program (as the engine only):
  // the page hands them this module, so the site ships no second wasm and
  // the workers compile nothing.
  early.module = compiled;
  // The model is needed only once the program runs, long after this: its
  // download waits for the early verdicts too.
  early.model = firstThings.then(() => bytes(site.modelURL));
  early.model.catch(() => {}); // the Go program reports the error when it awaits it
  // The gallery's images for the Go program (null for one that failed),
  // all at once once the page has been painted: each fetch() costs the
  // page's thread a few milliseconds, and the pre-rendered page shows them
  // with <img> already.
  // (None when the site wrote the gallery into the page: SiteData's data.)
  const gallery = site.gallery || [];
  if (!gallery.length || !gallery.every((it) => it.data)) {
    early.gallery = painted.then(() => Promise.all(gallery.map((it) => bytes(site.galleryURL + it.file, "low").catch(() => null))));
  }

  window.ganomalyInitWebAssembly = async function () {
    const loader = document.getElementById("app-wasm-loader");
    if (loader) loader.remove();
    const fail = (err) => {
      console.error("loading app.wasm failed:", err);
      const b = document.querySelector(".banner");
      if (b) {
        b.className = "banner error-banner";
        b.textContent = "The demo could not start: " + String(err) + ". Reload the page; if this persists, the site was not built or served correctly (make site).";
      }
    };
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
