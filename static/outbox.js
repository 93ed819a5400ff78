// @ts-check
// The outbox, shared by the form page and the service worker: answers the respondent chose to
// send wait in IndexedDB until the server confirms each one, then leave the phone (rule 10).
// The page imports this module; the server joins it into the worker (sw.js), so both send the
// same way.

/**
 * @typedef {{id: string, questionnaire: string, version: number,
 *   answers: Record<string, string | number | string[]>, language?: string}} Item
 * @typedef {{accepted: string[], refused: string[]}} Settled
 * @typedef {Settled & {left: number, problem: string | null}} Outcome
 */

export const SEND_TIMEOUT_MS = 30000; // a stalled request must never stop sending until a reload
export const BATCH = 100;

/**
 * IndexedDB, or null where it is missing or never answers (some private modes).
 * @returns {Promise<IDBDatabase | null>}
 */
export function open() {
  return new Promise((resolve) => {
    let settled = false;
    /** @param {IDBDatabase | null} db */
    const settle = (db) => {
      if (settled) return db && db.close();
      settled = true;
      resolve(db);
    };
    setTimeout(() => settle(null), 3000);
    try {
      const req = indexedDB.open("outbox", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("items", { keyPath: "id" });
      req.onsuccess = () => settle(req.result);
      req.onerror = req.onblocked = () => settle(null);
    } catch {
      settle(null);
    }
  });
}

/**
 * @template T
 * @param {IDBDatabase} db
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T> | void} work
 * @returns {Promise<T | undefined>}
 */
function run(db, mode, work) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction("items", mode);
    const req = work(tx.objectStore("items"));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
}
/** @param {IDBDatabase} db @returns {Promise<Item[]>} */
export const all = async (db) => (await run(db, "readonly", (store) => store.getAll())) || [];
/** @param {IDBDatabase} db @returns {Promise<number>} */
export const count = async (db) => (await run(db, "readonly", (store) => store.count())) || 0;
/** @param {IDBDatabase} db @param {Item} item */
export const put = (db, item) => run(db, "readwrite", (store) => store.put(item));
/** @param {IDBDatabase} db @param {string[]} ids */
export const remove = (db, ids) => run(db, "readwrite", (store) => ids.forEach((id) => store.delete(id)));

/**
 * One POST of up to BATCH items, given up after SEND_TIMEOUT_MS. Resolves to the ids the
 * server settled, split into accepted (stored now or before) and refused (never storable);
 * rejects with "offline" or "server" when the answer is to try again later.
 * @param {Item[]} items
 * @returns {Promise<Settled>}
 */
export async function send(items) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SEND_TIMEOUT_MS);
  let response;
  try {
    response = await fetch("/api/responses/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ responses: items }),
      cache: "no-store",
      credentials: "omit",
      signal: controller.signal,
    });
  } catch {
    throw new Error(self.navigator.onLine === false ? "offline" : "server");
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw new Error("server"); // 429, 5xx: the items are fine, try later
  /** @type {string[]} */
  const accepted = [];
  /** @type {string[]} */
  const refused = [];
  /** @type {{status?: string}[]} */
  let results;
  try {
    results = (await response.json()).results || [];
  } catch {
    throw new Error("server");
  }
  // Results come in the order sent; the position names an item whose id the server refused.
  results.forEach((result, i) => {
    if (i >= items.length || !result.status) return;
    const bad = result.status === "conflict" || result.status === "rejected";
    (bad ? refused : accepted).push(items[i].id);
  });
  return { accepted, refused };
}

/**
 * Web Locks keep the page and the worker from sending the same items at once (a second send
 * would only be a harmless duplicate, but it would cost a phone's data twice).
 * @template T
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
function exclusively(work) {
  const locks = self.navigator.locks;
  return locks ? locks.request("survey-outbox", work) : work();
}

/**
 * Sends everything stored, batch by batch, removing each item the server settled.
 * Resolves to {accepted, refused, left, problem}: problem is null, "offline" or "server".
 * @param {IDBDatabase} db
 * @returns {Promise<Outcome>}
 */
export function flush(db) {
  return exclusively(async () => {
    /** @type {Outcome} */
    const outcome = { accepted: [], refused: [], left: 0, problem: null };
    for (;;) {
      const items = await all(db);
      outcome.left = items.length;
      if (!items.length) return outcome;
      let settled;
      try {
        settled = await send(items.slice(0, BATCH));
      } catch (error) {
        outcome.problem = /** @type {Error} */ (error).message;
        return outcome;
      }
      const done = settled.accepted.concat(settled.refused);
      await remove(db, done);
      outcome.accepted.push(...settled.accepted);
      outcome.refused.push(...settled.refused);
      if (!done.length) {
        outcome.problem = "server"; // an answer that settled nothing: try again later
        outcome.left = items.length;
        return outcome;
      }
    }
  });
}
