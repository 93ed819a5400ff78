// @ts-check
// The draft: the answers being given, in memory only, never written anywhere (rule 10); the
// skip logic that decides what is shown; and the server's own checks (responses.py), so
// nothing it would refuse leaves the phone.

import { numberText } from "./i18n.js";
import { byId, def } from "./page.js";

/** @typedef {import("./page.js").Question} Question */
/** @typedef {string | number | string[]} Answer  text and numbers as typed, a code, codes */
/** @typedef {{key: string, vars?: Record<string, string | number>}} Problem  a catalogue key */

export const TEXT_LIMITS = { short_text: 500, long_text: 5000 }; // as the server counts them
const PREFER_NOT = "prefer_not";

/** @type {Record<string, Answer>} */
let answers = {};

/** @param {string} id */
export const answer = (id) => answers[id];
/** @param {string} id @param {Answer} value */
export const setAnswer = (id, value) => {
  answers[id] = value;
};
/** Forgets every answer: after sending, on quick exit, and on a page restored from cache. */
export const clearDraft = () => {
  answers = {};
};

/** @param {unknown} v */
export const isEmpty = (v) => v == null || v === "" || (Array.isArray(v) && !v.length);

/**
 * Shown by skip logic: its show_if question is shown and answered with one of its codes.
 * @param {Question} q
 * @returns {boolean}
 */
export function visible(q) {
  const rule = q.show_if;
  if (!rule) return true;
  const control = byId[rule.question];
  if (!control || !visible(control)) return false;
  const given = answers[rule.question];
  /** @type {unknown[]} */
  const picked = Array.isArray(given) ? given : given == null ? [] : [given];
  return picked.some((code) => rule.codes.includes(/** @type {string} */ (code)));
}

/** The sections with a question to show, by index. */
export function shownSections() {
  const sections = def ? def.sections : [];
  return sections.map((_, i) => i).filter((i) => sections[i].questions.some(visible));
}

/**
 * Text as the server screens and counts it: code points after NFC, trimmed.
 * @param {Answer} value
 */
export const asSent = (value) => String(value).normalize("NFC").trim();

// Arabic-Indic and Persian digits typed on a phone keyboard count as the same number.
/** @param {Answer} value */
const digits = (value) =>
  String(value).replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) & 0xf));

/**
 * What is wrong with an answer, if anything: a catalogue key, so it reads in whatever language
 * is shown when it is shown.
 * @param {Question} q
 * @returns {Problem | null}
 */
export function check(q) {
  const value = answers[q.id];
  if (isEmpty(value)) return q.required ? { key: "answer_this" } : null;
  if (q.type === "number") {
    const text = digits(value).trim();
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || n < Number(q.min) || n > Number(q.max)) {
      return { key: "whole_number", vars: { min: String(q.min), max: String(q.max) } };
    }
  }
  const limit = textLimit(q);
  if (limit && [...asSent(value)].length > limit) return { key: "too_long", vars: { max: numberText(limit) } };
  return null;
}

/** The longest answer a text question takes, or 0 for any other type. @param {Question} q */
export const textLimit = (q) => (q.type === "short_text" || q.type === "long_text" ? TEXT_LIMITS[q.type] : 0);

/**
 * An exclusive choice ("No one", and "Prefer not to say" always) stands alone: ticking it
 * clears the others, and ticking another clears it. The server refuses the mixture too.
 * @param {Question} q
 * @param {string} code
 */
const alone = (q, code) => code === PREFER_NOT || ((q.choices || []).find((c) => c.code === code) || {}).exclusive === true;

/**
 * Records a tap on a choice; for multiple choice, returns the codes now ticked.
 * @param {Question} q
 * @param {string | number} code
 * @param {boolean} on
 * @returns {string[] | null}
 */
export function choose(q, code, on) {
  if (q.type !== "multiple_choice") {
    answers[q.id] = code;
    return null;
  }
  const given = answers[q.id];
  const now = String(code);
  let picked = (Array.isArray(given) ? given : []).filter((c) => c !== now);
  if (on) picked = alone(q, now) ? [now] : picked.filter((c) => !alone(q, c)).concat(now);
  answers[q.id] = picked;
  return picked;
}

/** The answers to send: shown questions only, numbers as numbers, text trimmed. */
export function payload() {
  /** @type {Record<string, Answer>} */
  const out = {};
  for (const q of Object.values(byId)) {
    let value = answers[q.id];
    if (!visible(q) || isEmpty(value)) continue;
    if (q.type === "number") value = Number(digits(value).trim());
    if (q.type === "short_text" || q.type === "long_text") value = String(value).trim();
    if (value !== "") out[q.id] = value;
  }
  return out;
}
