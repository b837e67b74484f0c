// The site's service worker: go-app's own (pkg/app/gen/app-worker.js, v9.8.0)
// except for when it fills its cache. go-app's caches every listed file as
// soon as the page registers it; on a first visit that downloads the whole
// site (both wasm programs, every model) while the page is still loading and
// doubles the traffic the page competes with. This one waits until the page
// says it has shown its first verdict (a {ganomaly: "idle"} message) or
// 15 s have passed.
//
// The Train view's files (web/train/: its worker, trainer.wasm, the MNIST
// subset) are not in the list: the first load must not fetch them. They are
// kept once the Train view has fetched them: from the network answer when
// this worker controls the page, or when the page asks ({ganomaly: "keep",
// urls}) after fetching them itself (on a first visit the page is not yet
// controlled). A new version's cache starts without them again.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};

let pageIdle;
const idle = new Promise((resolve) => (pageIdle = resolve));
const lazyPrefix = new URL("web/train/", self.registration.scope).pathname;
const isLazy = (url) => url.origin === self.location.origin && url.pathname.startsWith(lazyPrefix);

self.addEventListener("message", (event) => {
  if (event.data && event.data.ganomaly === "idle") pageIdle();
  if (event.data && event.data.ganomaly === "keep" && Array.isArray(event.data.urls)) {
    const urls = event.data.urls.map((u) => new URL(u, self.registration.scope)).filter(isLazy);
    event.waitUntil(caches.open(cacheName).then(async (cache) => {
      for (const u of urls) {
        if (!(await cache.match(u))) await cache.add(u);
      }
    }).catch((err) => console.warn("app worker: cannot keep the Train view's files for offline use:", err)));
  }
});

self.addEventListener("install", (event) => {
  console.log("installing app worker {{.Version}}");
  event.waitUntil(
    Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 15000))])
      .then(() => caches.open(cacheName))
      .then((cache) => cache.addAll(resourcesToCache))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keyList) =>
      Promise.all(keyList.map((key) => (key !== cacheName ? caches.delete(key) : undefined)))
    )
  );
  console.log("app worker {{.Version}} is activated");
});

self.addEventListener("fetch", (event) => {
  const lazy = event.request.method === "GET" && isLazy(new URL(event.request.url));
  event.respondWith(
    caches.match(event.request).then((response) => {
      if (response) return response;
      return fetch(event.request).then((fetched) => {
        if (lazy && fetched.ok) {
          const copy = fetched.clone();
          event.waitUntil(caches.open(cacheName).then((cache) => cache.put(event.request, copy)));
        }
        return fetched;
      });
    })
  );
});
