// @ts-check
// Answers waiting to leave this phone, as the page keeps them: in the outbox (IndexedDB, through
// outbox.js), or in memory where the browser has no IndexedDB or it refuses (lost with the page,
// so the page says to keep it open). A preview keeps nothing at all.

import * as outbox from "./outbox.js";
import { PREVIEW } from "./page.js";

/** @typedef {import("./outbox.js").Item} Item */
/** @typedef {import("./outbox.js").Settled & {problem: string | null}} Sent */

export const BACKGROUND_SYNC = "SyncManager" in window;

/** @type {Map<string, Item>} only where IndexedDB is missing or refuses */
const memory = new Map();
const opened = PREVIEW ? Promise.resolve(null) : outbox.open();
/** @type {IDBDatabase | null} */
let db = null;

/** Keeps an answer the respondent sent until the server has it. @param {Item} item */
export async function queue(item) {
  db = await opened;
  if (db) {
    try {
      await outbox.put(db, item);
      return;
    } catch {
      // storage full or refused: keep it in memory rather than lose it
    }
  }
  memory.set(item.id, item);
}

/** Whether something waits where only this open page can send it. */
export const inMemory = () => !db || memory.size > 0;

/** How many answers wait, stored and in memory. */
export async function count() {
  db = await opened;
  let stored = 0;
  if (db) {
    try {
      stored = await outbox.count(db);
    } catch {
      stored = 0;
    }
  }
  return stored + memory.size;
}

/**
 * Sends what waits, memory first, and tells what became of it. Never rejects: trouble with
 * storage is a "server" problem, tried again later like a failed send.
 * @returns {Promise<Sent>}
 */
export async function sendAll() {
  /** @type {Sent} */
  const outcome = { accepted: [], refused: [], problem: null };
  try {
    if (memory.size) await sendMemory(outcome);
    if (db && !outcome.problem) {
      const stored = await outbox.flush(db);
      outcome.accepted.push(...stored.accepted);
      outcome.refused.push(...stored.refused);
      outcome.problem = stored.problem;
    }
  } catch {
    outcome.problem = "server";
  }
  return outcome;
}

/** @param {Sent} outcome */
async function sendMemory(outcome) {
  try {
    const settled = await outbox.send([...memory.values()].slice(0, outbox.BATCH));
    const done = settled.accepted.concat(settled.refused);
    for (const id of done) memory.delete(id);
    outcome.accepted.push(...settled.accepted);
    outcome.refused.push(...settled.refused);
    if (!done.length) outcome.problem = "server"; // an answer that settled nothing
  } catch (error) {
    outcome.problem = /** @type {Error} */ (error).message;
  }
}

/**
 * Background Sync: the worker sends the outbox when the phone is online, even after this
 * page is closed. Where the browser has no Background Sync, only an open page sends.
 */
export function askWorker() {
  if (!db || !BACKGROUND_SYNC || !navigator.serviceWorker) return;
  navigator.serviceWorker.ready
    .then((reg) => /** @type {any} */ (reg).sync.register("outbox"))
    .catch(() => {});
}

/**
 * Answers the respondent chose to send stay queued until the server has them (rule 10):
 * deleting them on quick exit would lose them. Leaving the page must not strand them either,
 * so the worker is asked to send them now (it outlives this page, and where it cannot send,
 * Background Sync sends them when the phone is next online); answers held in memory go in a
 * keepalive request, the only kind that outlives the page.
 */
export function handOver() {
  if (memory.size) {
    fetch("/api/responses/batch", {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ responses: [...memory.values()].slice(0, outbox.BATCH) }),
      credentials: "omit",
    }).catch(() => {});
    memory.clear();
  }
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (worker) worker.postMessage({ type: "flush" });
}
