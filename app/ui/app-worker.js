// The site's service worker: go-app's own (pkg/app/gen/app-worker.js, v9.8.0)
// except for when it fills its cache. go-app's caches every listed file as
// soon as the page registers it; on a first visit that downloads the whole
// site (both wasm programs, every model) while the page is still loading and
// doubles the traffic the page competes with. This one waits until the page
// says it has shown its first verdict (a {ganomaly: "idle"} message) or
// 15 s have passed.
const cacheName = "app-" + "{{.Version}}";
const resourcesToCache = {{.ResourcesToCache}};

let pageIdle;
const idle = new Promise((resolve) => (pageIdle = resolve));
self.addEventListener("message", (event) => {
  if (event.data && event.data.ganomaly === "idle") pageIdle();
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
  event.respondWith(
    caches.match(event.request).then((response) => response || fetch(event.request))
  );
});
