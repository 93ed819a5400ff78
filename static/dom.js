// @ts-check
// Building the page's elements, with textContent only: definition text is never parsed as
// HTML. And the polite live region, so a change on screen is read out, not silently made.

/**
 * The element with this id; the page (static/index.html) and each screen always have the ids
 * the app asks for, so a missing one is a bug to see at once.
 * @param {string} id
 * @returns {HTMLElement}
 */
export function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error("no #" + id);
  return el;
}

/** @param {string} id */
export const find = (id) => document.getElementById(id);

/** @typedef {Node | string | null | undefined | false} Kid */
/** @typedef {Kid | Kid[]} Kids */

/**
 * An element: attributes (`text` is its text, `on…` a listener, true an empty attribute,
 * null or false none), then children (nested lists, null and false are skipped).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} attrs
 * @param {...Kids} kids
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
  return el;
}

/** @param {string | undefined} text */
export const paragraphs = (text) =>
  String(text || "")
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .map((p) => h("p", { text: p.trim() }));

/**
 * @param {string} text
 * @param {() => void} onclick
 * @param {string} [cls]
 */
export const button = (text, onclick, cls) => h("button", { type: "button", class: cls || "button", text, onclick });

/** @type {ReturnType<typeof setTimeout> | undefined} */
let announcing;

/** Reads `text` out through the live region (a change is what a screen reader reads). */
export function announce(/** @type {string} */ text) {
  const region = $("announce");
  region.textContent = "";
  clearTimeout(announcing);
  announcing = setTimeout(() => (region.textContent = text), 50);
}

/** Drops news about the screen that was, before another is drawn. */
export function hush() {
  clearTimeout(announcing);
  $("announce").textContent = "";
}
