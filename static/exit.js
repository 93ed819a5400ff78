// @ts-check
// Quick exit, from the Exit button or Shift pressed three times: the draft is forgotten, what
// waits in the outbox is handed on (never deleted: rule 10), and the page leaves for a neutral
// site without a way Back to the form.

import { $ } from "./dom.js";
import { blank, restored } from "./form.js";
import { PREVIEW } from "./page.js";
import { handOver } from "./queue.js";

const EXIT_URL = "https://www.bbc.co.uk/weather";

function quickExit() {
  const depth = blank();
  if (!PREVIEW) handOver();
  leave(depth);
}

/**
 * Back from the exit site must not find the form: first return to this document's first
 * history entry, then replace that one too.
 * @param {number} depth this document's history entries after its first
 */
function leave(depth) {
  let gone = false;
  const away = () => {
    if (!gone) location.replace(EXIT_URL);
    gone = true;
  };
  if (depth > 0) {
    window.addEventListener("popstate", away, { once: true });
    setTimeout(away, 300); // in case the browser does not report the step back
    history.go(-depth);
  } else away();
}

$("exit").addEventListener("click", quickExit);

// Shift pressed on its own 3 times within 5 seconds. Shift used for a capital letter does not
// count, and any other key starts the count again, so typing never leaves by accident.
/** @type {number[]} */
let shifts = [];
let shiftAlone = false;
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Shift") {
    if (!ev.repeat) shiftAlone = true;
    return;
  }
  shiftAlone = false;
  shifts = [];
});
document.addEventListener("keyup", (ev) => {
  if (ev.key !== "Shift" || !shiftAlone) return;
  shiftAlone = false;
  const now = Date.now();
  shifts = shifts.filter((t) => now - t < 5000).concat(now);
  if (shifts.length >= 3) quickExit();
});

window.addEventListener("pageshow", (ev) => {
  if (ev.persisted) restored(); // restored from the back-forward cache: show a blank start
});
