// @ts-check
// Sending what waits: on load, online, after sending, and on a backoff timer, with no trigger
// lost and one send at a time; the status line that says what waits and why; and what became
// of the answer just sent, whoever sent it (this page, or the worker).

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { count, inMemory, sendAll } from "./queue.js";

/** @typedef {"waiting" | "sent" | "refused"} Fate */

let syncing = false;
let again = false;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let delay = 0;
let waiting = 0;
let inFlight = false;
/** @type {string | null} null, "offline" or "server": why the last try did not finish */
let problem = null;
let refused = 0;
let sentSome = false; // something left this phone while this page was open
/** @type {{id: string, fate: Fate} | null} the response just sent */
let last = null;
let onChange = () => {};

/** Follows the answer just sent, until it is sent or refused. @param {string} id */
export const follow = (id) => {
  last = { id, fate: "waiting" };
};
/** What became of the answer just sent, if one was. */
export const fate = () => (last ? last.fate : null);
/** Whether anything waits now (as last counted). */
export const anyWaiting = () => waiting > 0;
/** Called after each change of the status line (the thank-you screen follows it). */
export const whenChanged = (/** @type {() => void} */ listener) => {
  onChange = listener;
};

/** Sends what waits; a call while a send runs makes it loop once more instead of dropping. */
export async function sync() {
  if (syncing) {
    again = true;
    return;
  }
  syncing = true;
  clearTimeout(timer);
  timer = undefined;
  try {
    do {
      again = false;
      await syncOnce();
    } while (again);
  } finally {
    syncing = false;
  }
}

async function syncOnce() {
  waiting = await count();
  if (!waiting) {
    delay = 0;
    problem = null;
    return showStatus();
  }
  inFlight = true;
  showStatus();
  const outcome = await sendAll();
  inFlight = false;
  settle(outcome);
  waiting = await count();
  if (waiting && !problem) again = true; // more than one batch waited
  else if (waiting) backOff();
  else delay = 0;
  showStatus();
}

/**
 * What became of the answers sent, whoever sent them.
 * @param {{accepted: string[], refused: string[], problem: string | null}} outcome
 */
export function settle(outcome) {
  problem = outcome.problem && !navigator.onLine ? "offline" : outcome.problem;
  refused += outcome.refused.length;
  sentSome = sentSome || outcome.accepted.length > 0;
  if (last && outcome.accepted.includes(last.id)) last.fate = "sent";
  if (last && outcome.refused.includes(last.id)) last.fate = "refused";
  if (outcome.accepted.length || outcome.refused.length) delay = 0;
}

function backOff() {
  delay = Math.min(delay ? delay * 2 : 2000, 60000);
  clearTimeout(timer);
  timer = setTimeout(sync, delay + Math.random() * 1000);
}

/** Counts what waits again and shows it (after queuing, or when the worker reports). */
export async function recount() {
  waiting = await count();
  showStatus();
}

export function showStatus() {
  const status = $("status");
  let text = "";
  if (waiting) {
    text = t("waiting", { n: waiting });
    if (inFlight) text += " " + t("sending");
    else if (problem === "offline" || !navigator.onLine) text += " " + t("when_online");
    else if (problem) text += " " + t("server_trouble");
    if (inMemory()) text += " " + t("keep_open");
  } else if (sentSome) {
    text = t("all_sent");
  }
  if (refused) text += " " + t("refused", { n: refused });
  status.textContent = text.trim();
  status.hidden = !text;
  status.className = "status" + (waiting ? " waiting" : " sent");
  onChange();
}
