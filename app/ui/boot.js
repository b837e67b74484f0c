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
//    is remembered (window.ganomalyEarly.pick) and answered with a note; the
//    Go program scores that sample as soon as the model is loaded.
(function () {
  "use strict";
  const site = window.ganomalySite;
  const early = (window.ganomalyEarly = { pick: null, model: null, modelFile: site.defaultModel });
  const bytes = (url) => fetch(url).then((r) => {
    if (!r.ok) throw new Error("fetching " + url + ": HTTP " + r.status);
    return r.arrayBuffer();
  });
  // app.wasm first: compiling streams along with the download, off the main
  // thread, while the rest of the page is parsed and the model downloads.
  const compiled = WebAssembly.compileStreaming(fetch(site.wasmURL)).catch(
    // A host that sends .wasm without application/wasm breaks streaming.
    () => bytes(site.wasmURL).then((b) => WebAssembly.compile(b)));
  compiled.catch(() => {}); // reported by ganomalyInitWebAssembly
  early.model = bytes(site.modelURL);
  early.model.catch(() => {}); // the Go program reports the error when it awaits it
  // The gallery's images, all at once (null for one that failed).
  early.gallery = Promise.all((site.gallery || []).map((it) => bytes(site.galleryURL + it.file).catch(() => null)));

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
    if (window.ganomalyGo) return; // mounting now: the Go program shows the note
    const panel = document.querySelector(".result");
    if (!panel) return;
    const p = document.createElement("p");
    p.className = "pending";
    p.dataset.testid = "pending";
    p.textContent = site.pendingText.replace("{name}", "gallery/" + early.pick);
    panel.replaceChildren(p);
  }, true);
})();
