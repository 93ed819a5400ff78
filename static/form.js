// @ts-check
// The form: one section per screen, each a step in the browser's history so the phone's Back
// goes to the previous one; the intro, review, thank-you and help screens; and Send, which
// puts the answers in the outbox (or, in a preview, ends the preview and sends nothing).

import { $, announce, button, h, hush, paragraphs } from "./dom.js";
import * as draft from "./draft.js";
import { language, qText, sectionTitle, t, title, tx } from "./i18n.js";
import { PREVIEW, STATE, byId, def } from "./page.js";
import { BACKGROUND_SYNC, askWorker, inMemory, queue } from "./queue.js";
import { answerText, errorText, fieldId, question } from "./questions.js";
import { loadScreener, seenEverything, showNotices, whenChangeAsked } from "./screening-notice.js";
import { fate, follow, recount, sync, whenChanged } from "./sync.js";

/** @typedef {import("./page.js").Question} Question */
/** @typedef {"intro" | "review" | "done" | "missing" | "closed" | "offline" | number} Screen  a number: a section */
/** @typedef {{id: string | null} & import("./draft.js").Problem} FormError  id null: the whole form */

/** @type {Screen} */
let screen = STATE === "form" ? "intro" : STATE;
/** @type {FormError[]} for the error summary */
let errors = [];
let backToReview = false; // "Change" on the review screen returns there after one section
/** @type {string | null} the question "Change my answer" came for: its field gets focus */
let changing = null;
let sending = false; // a second tap on Send while the first is queued does nothing
let ended = false; // a preview's Send was tapped: its thank-you screen says nothing was sent

// ---- history: every screen is a step, so the phone's Back goes to the previous one ----
let depth = 0; // this document's entries after its first
/** @type {Screen[]} the screen at each depth, as this document pushed them */
const trail = ["intro"];
let sentDepth = -1; // entries below this hold a draft that has been sent
let leaving = false;

/**
 * @param {Screen} next
 * @param {string} [field] the question whose field gets focus
 */
function go(next, field) {
  screen = next;
  changing = field || null;
  errors = [];
  depth += 1;
  trail.length = depth;
  trail.push(next);
  history.pushState({ survey: true, depth, screen: next }, "");
  render(true);
}

/** The form's own Back walks the same history where it can. @param {Screen} target */
function back(target) {
  if (depth > 0 && trail[depth - 1] === target) history.back();
  else go(target);
}

window.addEventListener("popstate", (ev) => {
  const state = ev.state;
  if (leaving || !def || !state || !state.survey) return;
  depth = state.depth;
  errors = [];
  changing = null;
  screen = depth < sentDepth && state.screen !== "done" ? "intro" : reachable(state.screen);
  render(true);
});

/** A step that skip logic no longer shows gives way to the nearest one before it. @param {Screen} step */
function reachable(step) {
  if (typeof step !== "number") return step;
  const before = draft.shownSections().filter((i) => i <= step);
  return before.length ? before[before.length - 1] : "intro";
}

/** The first screen, as the page opened (everything it needs is in the page). */
export function firstScreen() {
  history.replaceState({ survey: true, depth: 0, screen }, "");
  render();
}

/** Draws the screen again where it is, in the language now shown, its heading focused. */
export function redraw() {
  render(false);
  const heading = $("screen").querySelector("h1");
  if (heading) heading.focus();
}

/**
 * Quick exit's first step: forget the draft and take the form off the screen.
 * @returns {number} this document's history entries after its first, to step back over
 */
export function blank() {
  leaving = true;
  draft.clearDraft();
  backToReview = false;
  changing = null;
  errors = [];
  screen = "intro";
  $("screen").textContent = "";
  return depth;
}

/** A page restored from the back-forward cache shows a blank start. */
export function restored() {
  leaving = false;
  draft.clearDraft();
  errors = [];
  depth = (history.state && history.state.depth) || 0;
  if (def) {
    screen = "intro";
    render(false);
  }
}

// ---- screens ----
/** @param {boolean} [focus] undefined on the first screen: nothing to scroll or focus */
function render(focus) {
  const root = $("screen");
  root.textContent = "";
  hush();
  /** @type {(HTMLElement | null)[]} */
  let view;
  if (screen === "intro") view = introScreen();
  else if (screen === "review") view = reviewScreen();
  else if (screen === "done") view = doneScreen();
  else if (typeof screen === "number") view = sectionScreen(screen);
  else view = helpScreen(screen);
  root.append(.../** @type {HTMLElement[]} */ (view.filter(Boolean)));
  if (screen === "review") showNotices(false);
  else if (screen !== "intro" && def) loadScreener(); // well before the review needs it
  const named = PREVIEW ? t("preview_title", { title: title() }) : title();
  document.title = (errors.length ? t("error_prefix") : "") + named;
  if (focus !== undefined) window.scrollTo(0, 0); // not on the first screen: it forces a layout
  // "Change my answer" lands in the answer's own field, which reads out what was found.
  const field = changing && !errors.length && document.getElementById("q-" + changing);
  const target = root.querySelector(".error-summary") || field || root.querySelector("h1");
  if (focus && target instanceof HTMLElement) target.focus();
}

/**
 * A link to no questionnaire, a closed one, or one this phone never kept, with no signal.
 * @param {string} state
 */
function helpScreen(state) {
  return [h("h1", { tabindex: "-1", text: t(state + "_heading") }), h("p", { text: t(state + "_text") })];
}

function introScreen() {
  const anyRequired = Object.values(byId).some((q) => q.required);
  return [
    h("h1", { tabindex: "-1", text: title() }),
    ...paragraphs(def ? tx("intro", def.intro) : ""),
    h(
      "div",
      { class: "panel" },
      h("h2", { text: t("good_to_know") }),
      h(
        "ul",
        {},
        anyRequired ? null : h("li", { text: t("can_skip") }),
        h("li", { text: t("no_name") }),
        h("li", { text: t("how_to_exit") }),
      ),
    ),
    button(t("start"), () => go(draft.shownSections()[0]), "button start"),
  ];
}

/** @param {number | "review"} index */
function stepLine(index) {
  const shown = draft.shownSections();
  const position = index === "review" ? shown.length + 1 : shown.indexOf(index) + 1;
  return h("p", { class: "step", text: t("step", { n: position, total: shown.length + 1 }) });
}

function errorSummary() {
  if (!errors.length) return null;
  return h(
    "div",
    { class: "error-summary", role: "alert", tabindex: "-1", "aria-labelledby": "error-h" },
    h("h2", { id: "error-h", text: t("problem") }),
    h(
      "ul",
      {},
      errors.map((e) => {
        if (!e.id) return h("li", { text: errorText(e) }); // about the whole form
        const q = byId[e.id];
        return h(
          "li",
          {},
          h("a", {
            href: "#" + fieldId(q),
            text: t("error_link", { message: errorText(e), question: qText(q, "text") }),
            onclick: (/** @type {Event} */ ev) => {
              ev.preventDefault();
              $(fieldId(q)).focus();
            },
          }),
        );
      }),
    ),
  );
}

/** @param {number} index */
function sectionScreen(index) {
  const section = /** @type {NonNullable<typeof def>} */ (def).sections[index];
  const form = h("form", {
    novalidate: true,
    autocomplete: "off",
    onsubmit: (/** @type {Event} */ ev) => {
      ev.preventDefault();
      next(index);
    },
  });
  for (const q of section.questions) {
    const box = question(q, errors.find((e) => e.id === q.id), q.id === changing);
    box.hidden = !draft.visible(q);
    form.append(box);
  }
  form.addEventListener("change", () => {
    const revealed = [];
    for (const q of section.questions) {
      const box = /** @type {HTMLElement} */ (form.querySelector(`[data-q="${q.id}"]`));
      if (box.hidden && draft.visible(q)) revealed.push(qText(q, "text"));
      box.hidden = !draft.visible(q);
    }
    // A question that skip logic shows is read out, not silently added.
    if (revealed.length) announce(t("revealed", { n: revealed.length, questions: revealed.join(" ") }));
  });
  form.append(
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "button", text: t("next") }),
      button(t("back"), () => back(previous(index)), "button secondary"),
    ),
  );
  return [stepLine(index), errorSummary(), h("h1", { tabindex: "-1", text: sectionTitle(index) }), form];
}

/** @param {number} index */
function previous(index) {
  const before = draft.shownSections().filter((i) => i < index);
  return before.length ? before[before.length - 1] : "intro";
}

/** @param {number} index */
function next(index) {
  errors = [];
  for (const q of /** @type {NonNullable<typeof def>} */ (def).sections[index].questions) {
    if (!draft.visible(q)) continue;
    const problem = draft.check(q);
    if (problem) errors.push({ id: q.id, ...problem });
  }
  if (errors.length) return render(true);
  const after = draft.shownSections().filter((i) => i > index);
  go(after.length && !backToReview ? after[0] : "review");
}

function reviewScreen() {
  backToReview = false;
  loadScreener(); // again, if it could not load before
  return [
    stepLine("review"),
    errorSummary(),
    h("h1", { tabindex: "-1", text: t("check_answers") }),
    h("div", { id: "notices" }), // filled by showNotices once the screen is in the page
    h("p", { id: "nothing-sent" }),
    ...draft.shownSections().map(reviewSection),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "button", id: "send", onclick: trySend }),
      button(t("back"), () => back(previous(Infinity)), "button secondary"),
    ),
  ];
}

/** @param {number} index */
function reviewSection(index) {
  const rows = /** @type {NonNullable<typeof def>} */ (def).sections[index].questions.filter(draft.visible).map((q) =>
    h(
      "div",
      { class: "row" },
      h("dt", { text: qText(q, "text") }),
      h("dd", { class: draft.isEmpty(draft.answer(q.id)) ? "none" : null, text: answerText(q) }),
    ),
  );
  const change = () => {
    backToReview = true;
    go(index);
  };
  return h(
    "section",
    { class: "review" },
    h(
      "div",
      { class: "review-head" },
      h("h2", { text: sectionTitle(index) }),
      h(
        "button",
        { type: "button", class: "link-button", onclick: change },
        t("change"),
        h("span", { class: "visually-hidden", text: " " + sectionTitle(index) }),
      ),
    ),
    h("dl", {}, rows),
  );
}

// "Change my answer" under a notice: to the answer's own field, then back to the review.
whenChangeAsked((n) => {
  backToReview = true;
  go(n.index, n.q.id);
});

async function trySend() {
  if (await seenEverything()) send();
}

async function send() {
  if (sending || !def) return; // a double tap: the first tap is already queuing these answers
  const given = draft.payload();
  if (!Object.keys(given).length) {
    // The server keeps no empty response: say so here rather than queue one it will refuse.
    errors = [{ id: null, key: "nothing_to_send" }];
    return render(true);
  }
  if (PREVIEW) return previewEnd();
  sending = true;
  /** @type {import("./outbox.js").Item} */
  const item = { id: uuid(), questionnaire: def.id, version: def.version, answers: given };
  const lang = language();
  if (lang) item.language = lang;
  draft.clearDraft(); // the draft is gone as soon as the answer is in the outbox
  backToReview = false;
  await queue(item);
  follow(item.id);
  go("done");
  sentDepth = depth;
  sending = false; // the Send button is gone now
  await recount();
  askWorker();
  sync();
}

// A preview's Send ends the preview and sends nothing; nothing of the draft stays.
function previewEnd() {
  draft.clearDraft();
  backToReview = false;
  ended = true;
  go("done");
  sentDepth = depth;
}

function doneScreen() {
  if (ended) {
    return [
      h("h1", { tabindex: "-1", text: t("preview_end_heading") }),
      h("p", { text: t("preview_end_text") }),
      button(t("to_start"), () => go("intro"), "button secondary"),
    ];
  }
  if (fate() === "refused") {
    return [
      h("h1", { tabindex: "-1", text: t("refused_heading") }),
      h("p", { text: t("refused_text") }),
      button(t("to_start"), () => go("intro"), "button secondary"),
    ];
  }
  const [lead, note] = doneTexts();
  return [
    h("h1", { tabindex: "-1", text: t("thank_you") }),
    h("p", { class: "lead", id: "done-lead", text: lead }),
    h("p", { id: "done-note", text: note }),
    h("p", { text: t("upset") }),
    button(t("to_start"), () => go("intro"), "button secondary"),
  ];
}

// Honest about where the answers are: sent, saved here (and who will send them), or memory.
function doneTexts() {
  const now = fate();
  if (!now || now === "sent") return [t("have_answers"), t("sent_note")];
  const note = inMemory() ? "memory_note" : BACKGROUND_SYNC ? "saved_note" : "saved_note_open";
  return [t("ready_to_send"), t(note)];
}

// The thank-you screen follows what became of the answers, without moving focus.
whenChanged(() => {
  const lead = document.getElementById("done-lead");
  if (screen !== "done" || !lead) return;
  if (fate() === "refused") return render(true); // a different screen now
  const [leadText, note] = doneTexts();
  lead.textContent = leadText;
  $("done-note").textContent = note;
});

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
