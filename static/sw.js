// The offline worker: keeps the app shell and the questionnaire definitions a phone has opened.
// Answers never pass through here: they wait in the page's IndexedDB outbox (see app.js).
"use strict";

const VERSION = "__VERSION__"; // replaced by the server with a hash of static/: one per release
const SHELL = "shell-" + VERSION;
// Definitions live apart from the shell and outlive releases: an unsent answer or an open form
// may need the version it was written against. Bump the suffix only with a migration below.
const DEFS = "defs-1";
const SHELL_URLS = [
  "/app/app.js",
  "/app/app.css",
  "/app/icon-192.png",
  "/app/icon-512.png",
  "/app/screening.js", "/app/screening-patterns.json", // rule 5 before sending, offline too
  "/app/i18n/en.json", // the fallback words; other languages are kept per form (see keep)
];
const LATEST = /^\/api\/questionnaires\/([a-z0-9_-]+)$/;
const VERSIONED = /^\/api\/questionnaires\/[a-z0-9_-]+\/versions\/\d+$/;
const PAGE = /^\/q\/[a-z0-9_-]+(\/manifest\.webmanifest)?$/;
const WORDS = /^\/app\/i18n\/[A-Za-z0-9-]+\.json$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll(SHELL_URLS);
      // Carry over every form page and catalogue an earlier release kept, fresh when the
      // network allows, so a form opens offline in every language it was kept in.
      for (const name of await caches.keys()) {
        if (!name.startsWith("shell-") || name === SHELL) continue;
        const old = await caches.open(name);
        for (const request of await old.keys()) {
          const path = new URL(request.url).pathname;
          if (!PAGE.test(path) && !WORDS.test(path)) continue;
          try {
            await cache.add(request.url);
          } catch {
            await cache.put(request, await old.match(request));
          }
        }
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const defs = await caches.open(DEFS);
      for (const name of await caches.keys()) {
        if (name.startsWith("shell-") && name !== SHELL) await caches.delete(name);
        if (name.startsWith("defs-") && name !== DEFS) {
          // Never drop a definition: copy it into the current cache first.
          const old = await caches.open(name);
          for (const request of await old.keys()) {
            if (!(await defs.match(request))) await defs.put(request, await old.match(request));
          }
          await caches.delete(name);
        }
      }
      await self.clients.claim();
    })(),
  );
});

// The page asks for its questionnaire to be kept, so that /q/{id} opens with no network.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "keep" || !/^[a-z0-9_-]+$/.test(data.id)) return;
  event.waitUntil(
    keep(data.id, data.version, data.languages).then(
      () => event.ports[0] && event.ports[0].postMessage({ kept: true }),
      () => event.ports[0] && event.ports[0].postMessage({ kept: false }),
    ),
  );
});

async function keep(id, version, languages) {
  const shell = await caches.open(SHELL);
  const words = (Array.isArray(languages) ? languages : [])
    .filter((tag) => /^[A-Za-z0-9-]{2,35}$/.test(tag))
    .map((tag) => "/app/i18n/" + tag + ".json");
  await shell.addAll(["/q/" + id, "/q/" + id + "/manifest.webmanifest", ...words]);
  await storeDefinition(await fetch("/api/questionnaires/" + id));
  if (Number.isInteger(version)) {
    const url = "/api/questionnaires/" + id + "/versions/" + version;
    const defs = await caches.open(DEFS);
    if (!(await defs.match(url))) await storeDefinition(await fetch(url));
  }
}

// Keeps a definition under the URL asked for and under its own version's URL.
async function storeDefinition(response) {
  if (!response.ok) throw new Error("definition " + response.status);
  const body = await response.clone().json();
  const defs = await caches.open(DEFS);
  await defs.put(response.url, response.clone());
  await defs.put("/api/questionnaires/" + body.id + "/versions/" + body.version, response);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (LATEST.test(path)) event.respondWith(networkFirst(request));
  else if (VERSIONED.test(path)) event.respondWith(cacheFirst(request, DEFS));
  else if (PAGE.test(path) || WORDS.test(path) || SHELL_URLS.includes(path)) {
    event.respondWith(cacheFirst(request, SHELL));
  }
});

async function cacheFirst(request, name) {
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(name);
    await cache.put(request, response.clone());
  }
  return response;
}

// The latest definition: fresh when the network answers within a few seconds, else the kept one.
async function networkFirst(request) {
  const fresh = fetch(request).then(async (response) => {
    if (response.status >= 500) throw new Error("server trouble"); // the kept copy is better
    if (response.ok) await storeDefinition(response.clone());
    return response;
  });
  fresh.catch(() => {}); // a late failure is expected offline; the cache answered instead
  const slow = new Promise((resolve) => setTimeout(resolve, 4000));
  try {
    const first = await Promise.race([fresh, slow]);
    if (first) return first;
  } catch {
    // offline: fall through to the cache
  }
  const cached = await caches.match(request);
  return cached || fresh;
}
