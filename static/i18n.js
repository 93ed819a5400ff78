// @ts-check
// Languages: the questionnaire's texts in the language shown (its translations), and the app's
// own words from the catalogues the page carries, English filling any gap.

import { CATALOGUES, def } from "./page.js";

/** @typedef {import("./page.js").Question} Question */
/** @typedef {import("./page.js").Choice} Choice */

const NAMES = Object.keys(CATALOGUES);
const RTL = ["ar", "ur", "fa", "he", "ps", "ckb", "dv", "yi", "sd"];
const RTL_SCRIPTS = ["Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg"];
const english = CATALOGUES.en || {}; // the fallback for anything a catalogue lacks

/** @type {string | null} one of def.languages; null for a one-language form or a help page */
let lang = null;
let words = english;

/** @param {string} tag */
const primary = (tag) => tag.split("-")[0].toLowerCase();

/** The language shown (a tag the questionnaire declares), or null for its only one. */
export const language = () => lang;

/**
 * An app word in the language shown; `vars` fill its {names}, and `vars.n` picks a plural form.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars) {
  let text = key in words ? words[key] : english[key];
  if (text == null) return "";
  if (typeof text === "object") {
    const n = vars ? Number(vars.n) : 0;
    text = text[new Intl.PluralRules(lang || "en").select(n)] || text.other;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => (vars && name in vars ? String(vars[name]) : m));
}

/**
 * Text from the definition in the language shown; the plain field is the default language.
 * @param {string} key
 * @param {string} text
 */
export function tx(key, text) {
  if (!lang || !def || !def.languages || lang === def.languages[0]) return text;
  const found = ((def.translations || {})[lang] || {})[key];
  return found == null ? text : found;
}

/**
 * @param {Question} q
 * @param {"text" | "hint" | "min_label" | "max_label"} field
 */
export const qText = (q, field) => tx(`q.${q.id}.${field}`, q[field] || "");
/** @param {Question} q @param {Choice} c */
export const choiceLabel = (q, c) => tx(`q.${q.id}.choice.${c.code}`, c.label);
/** @param {number} i */
export const sectionTitle = (i) => (def ? tx(`section.${i}.title`, def.sections[i].title) : "");
export const title = () => (def ? tx("title", def.title) : t("app_name"));

/** @param {string} tag */
const catalogueFor = (tag) => NAMES.find((c) => c === tag) || NAMES.find((c) => c === primary(tag));

/**
 * The first of the browser's languages that is available, by tag or by language.
 * @param {string[]} available
 */
export function bestLanguage(available) {
  const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
  for (const tag of wanted) {
    const found =
      available.find((a) => a.toLowerCase() === tag.toLowerCase()) ||
      available.find((a) => primary(a) === primary(tag));
    if (found) return found;
  }
  return available[0];
}

/** Every catalogue's name: a help page speaks the browser's language if any catalogue does. */
export const catalogueNames = () => NAMES;

/** @param {string} tag */
function isRtl(tag) {
  const parts = tag.split("-");
  return RTL.includes(parts[0].toLowerCase()) || parts.slice(1).some((p) => RTL_SCRIPTS.includes(p));
}

/**
 * Shows `tag` from now on (null: the questionnaire's only language), and sets the document's
 * language and direction for it.
 * @param {string | null} tag
 */
export function useLanguage(tag) {
  const name = tag ? catalogueFor(tag) : "en";
  lang = tag;
  words = (name && CATALOGUES[name]) || english;
  document.documentElement.lang = tag || "en-GB";
  document.documentElement.dir = tag && isRtl(tag) ? "rtl" : "ltr";
}

/**
 * A language's own name for itself, capitalised as that language does.
 * @param {string} tag
 */
export function nameOf(tag) {
  let name = tag;
  try {
    name = new Intl.DisplayNames([tag], { type: "language" }).of(tag) || tag;
  } catch {
    // an engine without DisplayNames shows the tag
  }
  return name[0].toLocaleUpperCase(tag) + name.slice(1);
}

/**
 * "a, b and c" in the language shown.
 * @param {string[]} names
 */
export function listOf(names) {
  try {
    return new Intl.ListFormat(lang || "en", { type: "conjunction" }).format(names);
  } catch {
    return names.join(", "); // an engine without ListFormat
  }
}

/** A number as the language shown writes it. @param {number} n */
export const numberText = (n) => n.toLocaleString(lang || "en");
