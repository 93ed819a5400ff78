// @ts-check
// Rule 5 before sending: what the server will take out of free text, told in advance.
// static/screening.js runs the server's own patterns (the server stays the authority: it also
// has libphonenumber and lists of names, so where this side may miss something it says "may").
// It is fetched when the respondent starts, never before the form is usable (on slow 3G the
// first load has no bytes to spare), and the worker keeps it, so the review works offline.

import { $, find, h, announce } from "./dom.js";
import { answer, asSent, isEmpty, shownSections, textLimit, visible } from "./draft.js";
import { listOf, qText, t } from "./i18n.js";
import { def } from "./page.js";

/** @typedef {import("./page.js").Question} Question */
/** @typedef {{text: string, kinds: string[], maybe: boolean}} Screened */
/** @typedef {{check: (text: string, phones: string[]) => Screened, kinds: string[]}} Screener */
/** @typedef {Screened & {q: Question, index: number}} Notice  an answer and its section */

const SCREENING_SCRIPT = "/app/screening.js";
/** @type {Screener | null} */
let screener = null;
/** @type {Promise<void> | null} the load in progress */
let screening = null;
let unchecked = false; // it could not load (offline before the worker kept it): every text "may"
let shownNotices = 0; // notices on the review screen now
/** @type {(n: Notice) => void} */
let changeAsked = () => {};

/** What "Change my answer" under a notice does (go to the answer's section and field). */
export const whenChangeAsked = (/** @type {(n: Notice) => void} */ listener) => {
  changeAsked = listener;
};

/** Loads the screener once (again after a failure); resolves when it is loaded or failed. */
export function loadScreener() {
  if (!screener && !screening) {
    screening = script(SCREENING_SCRIPT)
      .then(() => screeningApi().load())
      .then(
        (loaded) => {
          screener = loaded;
          unchecked = false;
        },
        () => {
          unchecked = true; // tried again at the next review
        },
      )
      .then(() => {
        screening = null;
        showNotices(true); // on the review screen only: elsewhere there is no place for them
      });
  }
  return screening || Promise.resolve();
}

/** screening.js is a plain script (the worker and the tests load it too): it sets a global. */
const screeningApi = () => /** @type {{SurveyScreening: {load: () => Promise<Screener>}}} */ (/** @type {unknown} */ (self)).SurveyScreening;

/** @param {string} src @returns {Promise<void>} */
function script(src) {
  if (screeningApi()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.onload = () => resolve();
    el.onerror = () => {
      el.remove();
      reject(new Error(src));
    };
    document.head.append(el);
  });
}

/**
 * The free-text answers that will not be stored word for word, or may not be: each with the
 * text as it will be sent, the kinds of detail found, and whether the server may take more.
 * null while the screener is still loading.
 * @returns {Notice[] | null}
 */
export function notices() {
  if ((!screener && !unchecked) || !def) return null;
  const phones = def.support.map((s) => s.phone || "").filter(Boolean);
  /** @type {Notice[]} */
  const found = [];
  for (const index of shownSections()) {
    for (const q of def.sections[index].questions) {
      const value = answer(q.id);
      if (!textLimit(q) || !visible(q) || isEmpty(value)) continue;
      const text = asSent(value); // as the server screens it
      if (!text) continue;
      const result = screener ? screener.check(text, phones) : { text, kinds: [], maybe: true };
      if (result.kinds.length || result.maybe) found.push({ q, index, ...result });
    }
  }
  return found;
}

/** The notice for one question, if its answer has one. @param {Question} q */
export const noticeOf = (q) => (notices() || []).find((n) => n.q.id === q.id) || null;

/**
 * What was found, in words: "We found a person's name and a school in this answer."
 * @param {Screened} n
 */
export const foundText = (n) =>
  n.kinds.length ? t("notice_found", { kinds: listOf(n.kinds.map((k) => t("kind_" + k))) }) : t("notice_maybe");

/**
 * The text as it will be sent, each marker the server puts in shown as a mark.
 * @param {string} text
 */
function marked(text) {
  const kinds = screener ? screener.kinds : [];
  /** @type {(string | HTMLElement)[]} */
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/\[([a-z_]+)\]/g)) {
    if (!kinds.includes(m[1])) continue;
    out.push(text.slice(last, m.index), h("mark", { text: m[0] }));
    last = Number(m.index) + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

/** @param {Notice} n */
function noticeFor(n) {
  const heading = "notice-" + n.q.id;
  const lines = [h("p", { text: foundText(n) })];
  if (n.kinds.length) {
    lines.push(
      h("p", { text: t(n.maybe ? "notice_sent_as_maybe" : "notice_sent_as") }),
      h("p", { class: "as-sent", dir: "auto" }, marked(n.text)),
    );
  }
  const change = h("button", {
    type: "button",
    class: "button secondary",
    "aria-describedby": heading,
    text: t("change_answer"),
    onclick: () => changeAsked(n),
  });
  return h("div", { class: "notice", "data-q": n.q.id }, h("h3", { id: heading, text: qText(n.q, "text") }), lines, change);
}

/**
 * Fills the review's notices and names the Send button after them. `late`: the screener
 * arrived after the screen was drawn, so the live region says there is something new.
 * @param {boolean} late
 */
export function showNotices(late) {
  const box = find("notices");
  if (!box) return;
  const list = notices();
  shownNotices = list ? list.length : 0;
  box.textContent = "";
  if (list && shownNotices) {
    box.append(
      h(
        "div",
        { class: "notice-panel", id: "notice-panel", tabindex: "-1", "aria-labelledby": "notice-h" },
        h("h2", { id: "notice-h", text: t("notice_heading") }),
        h("p", { text: t("notice_text") }),
        list.map(noticeFor),
      ),
    );
    if (late) announce(t("notice_announce"));
  }
  $("nothing-sent").textContent = t(shownNotices ? "nothing_sent_shown" : "nothing_sent");
  $("send").textContent = t(shownNotices ? "send_as_shown" : "send");
}

/**
 * Send only what the respondent has seen: if the screener arrives after the tap and finds
 * something, the notices come first (and this says no).
 */
export async function seenEverything() {
  const seen = shownNotices;
  if (screening) await screening;
  if (shownNotices && shownNotices !== seen) {
    $("notice-panel").focus();
    return false;
  }
  return true;
}
