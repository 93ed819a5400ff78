// @ts-check
// The offline worker: keeps the form pages a phone has opened (each holds its questionnaire),
// and sends the outbox when no page is open: on Background Sync, and when quick exit hands it
// over. Answers are read from the outbox in IndexedDB (outbox.js), never cached here.
// The server serves it joined with outbox.js into one classic script (webapp.worker_script):
// module service workers came years after service workers (Chrome 91, Safari 15, Firefox
// later still), so a phone that runs the page's modules may not run a module worker.

import { flush, open } from "./outbox.js";

const worker = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

const VERSION = "__VERSION__"; // replaced by the server with a hash of static/: one per release
const SHELL = "shell-" + VERSION;
const OFFLINE = "/app/offline"; // help and 999 for a form page this phone never kept
const SHELL_URLS = [
  OFFLINE,
  "/app/icon-192.png",
  "/app/icon-512.png",
  "/app/screening.js", "/app/screening-patterns.json", // rule 5 before sending, offline too
];
const PAGE = /^\/q\/([a-z0-9][a-z0-9_-]*)\/?$/; // a trailing slash opens the same form
const MANIFEST = /^\/q\/[a-z0-9][a-z0-9_-]*\/manifest\.webmanifest$/;

worker.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL);
      await cache.addAll(SHELL_URLS);
      // Carry over every form an earlier release kept, fresh from this release. If the
      // network fails half way, the install fails and the old release keeps working.
      for (const name of await caches.keys()) {
        if (!name.startsWith("shell-") || name === SHELL) continue;
        const old = await caches.open(name);
        for (const request of await old.keys()) {
          const path = new URL(request.url).pathname;
          if (!PAGE.test(path) && !MANIFEST.test(path)) continue;
          const response = await fetch(request.url);
          if (response.ok) await cache.put(request.url, response);
        }
      }
      await worker.skipWaiting();
    })(),
  );
});

worker.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        // Each kept page holds its own definition now, so the old definition cache goes too.
        if ((name.startsWith("shell-") && name !== SHELL) || name.startsWith("defs-")) {
          await caches.delete(name);
        }
      }
      await worker.clients.claim();
    })(),
  );
});

worker.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep" && /^[a-z0-9][a-z0-9_-]*$/.test(data.id)) {
    // The page asks for its form to be kept, so that /q/{id} opens with no network. The page
    // came from the network a moment ago, so this is a revalidation the HTTP cache answers.
    event.waitUntil(
      keep(data.id).then(
        () => event.ports[0] && event.ports[0].postMessage({ kept: true }),
        () => event.ports[0] && event.ports[0].postMessage({ kept: false }),
      ),
    );
  } else if (data.type === "flush") {
    // Quick exit: the page is leaving; this worker outlives it and sends what waits.
    event.waitUntil(deliver(false));
  }
});

/** @param {string} id */
async function keep(id) {
  const cache = await caches.open(SHELL);
  await cache.addAll(["/q/" + id, "/q/" + id + "/manifest.webmanifest"]);
}

// Background Sync: the browser wakes this worker when the phone is online, page or no page.
// (Not in TypeScript's lib: Background Sync is Chromium's.)
worker.addEventListener("sync", (event) => {
  const sync = /** @type {ExtendableEvent & {tag: string}} */ (event);
  if (sync.tag === "outbox") sync.waitUntil(deliver(true));
});

// Sends the outbox and tells any open page what left. From a sync event, a failure rejects so
// the browser tries again later, with its own backoff; from quick exit, it asks for a sync.
/** @param {boolean} fromSync */
async function deliver(fromSync) {
  const db = await open();
  if (!db) return;
  let outcome;
  try {
    outcome = await flush(db);
  } finally {
    db.close();
  }
  if (outcome.accepted.length || outcome.refused.length) {
    for (const page of await worker.clients.matchAll({ type: "window" })) {
      page.postMessage({ type: "outbox", accepted: outcome.accepted, refused: outcome.refused });
    }
  }
  if (!outcome.problem) return;
  if (fromSync) throw new Error(outcome.problem);
  const sync = /** @type {{sync?: {register: (tag: string) => Promise<void>}}} */ (/** @type {unknown} */ (worker.registration)).sync;
  if (sync) await sync.register("outbox").catch(() => {});
}

worker.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== worker.location.origin) return;
  if (request.mode === "navigate") event.respondWith(navigate(event, url.pathname));
  else if (MANIFEST.test(url.pathname) || SHELL_URLS.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

// A kept form opens at once from the cache, on any network, and is refreshed behind it for
// next time (a new version, or a 404 once the form is closed). Anything else in scope comes
// from the network, and with no network, the help page with 999 instead of the browser's.
/**
 * @param {FetchEvent} event
 * @param {string} path
 */
async function navigate(event, path) {
  const page = PAGE.exec(path);
  const key = page && "/q/" + page[1];
  const cache = await caches.open(SHELL);
  const kept = key && (await cache.match(key));
  const fresh = fetch(event.request).then(async (response) => {
    if (key && response.ok && !response.redirected) await cache.put(key, response.clone());
    else if (key && response.status === 404) await cache.delete(key);
    return response;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => {}));
    return kept;
  }
  try {
    return await fresh;
  } catch {
    return (await cache.match(OFFLINE)) || Response.error();
  }
}

/** @param {Request} request */
async function cacheFirst(request) {
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL);
    await cache.put(request, response.clone());
  }
  return response;
}
