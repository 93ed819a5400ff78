// @ts-check
// One question on screen: its field (text, number, choices or a scale) with its label, hint,
// error and what screening found; and an answer as the review shows it.

import { h } from "./dom.js";
import * as draft from "./draft.js";
import { choiceLabel, qText, t } from "./i18n.js";
import { foundText, noticeOf } from "./screening-notice.js";

/** @typedef {import("./page.js").Question} Question */
/** @typedef {import("./page.js").Choice} Choice */
/** @typedef {import("./draft.js").Problem} Problem */

/** @param {Problem} e */
export const errorText = (e) => t(e.key, e.vars);
/** Where an error's link leads: the field, or a choice's first box. @param {Question} q */
export const fieldId = (q) => "q-" + q.id + (q.choices || q.type === "scale" ? "-0" : "");

/**
 * A question's field (text, number, choices or a scale) with its label, hint and error.
 * `changing`: "Change my answer" came for it, so it also says what screening found.
 * @param {Question} q
 * @param {Problem | undefined} error
 * @param {boolean} changing
 */
export function question(q, error, changing) {
  const hintId = "q-" + q.id + "-hint";
  const errorId = "q-" + q.id + "-error";
  const found = changing ? noticeOf(q) : null;
  const foundId = "q-" + q.id + "-found";
  const described = [q.hint ? hintId : null, found ? foundId : null, error ? errorId : null].filter(Boolean).join(" ") || null;
  const hint = q.hint ? h("p", { class: "hint", id: hintId, text: qText(q, "hint") }) : null;
  const note = found ? h("p", { class: "found-note", id: foundId, text: foundText(found) }) : null;
  const errorLine = error
    ? h("p", { class: "error-message", id: errorId }, h("span", { class: "visually-hidden", text: t("error_prefix") }), errorText(error))
    : null;
  const cls = "question" + (error ? " has-error" : "");
  if (q.choices || q.type === "scale") return choiceQuestion(q, cls, described, hint, errorLine);
  const id = "q-" + q.id;
  const common = {
    id,
    name: id,
    autocomplete: "off",
    "aria-describedby": described,
    oninput: (/** @type {Event} */ ev) => draft.setAnswer(q.id, /** @type {HTMLInputElement} */ (ev.target).value),
  };
  let field;
  if (q.type === "long_text") field = h("textarea", { ...common, rows: "5" });
  else if (q.type === "number") field = h("input", { ...common, type: "text", inputmode: "numeric", class: "number" });
  else field = h("input", { ...common, type: "text" });
  const given = draft.answer(q.id);
  field.value = given == null ? "" : String(given);
  return h("div", { class: cls, "data-q": q.id }, h("label", { for: id, class: "label", text: qText(q, "text") }), hint, note, errorLine, field);
}

/**
 * @param {Question} q
 * @param {string} cls
 * @param {string | null} described
 * @param {HTMLElement | null} hint
 * @param {HTMLElement | null} errorLine
 */
function choiceQuestion(q, cls, described, hint, errorLine) {
  const multiple = q.type === "multiple_choice";
  const scale = q.type === "scale";
  const min = Number(q.min);
  /** @type {{code: string | number, label: string, choice?: Choice}[]} */
  const options = scale
    ? Array.from({ length: Number(q.max) - min + 1 }, (_, i) => ({ code: min + i, label: String(min + i) }))
    : (q.choices || []).map((c) => ({ code: c.code, label: c.label, choice: c }));
  const list = h("div", { class: scale ? "scale" : "choices" });
  options.forEach((c, i) => {
    const id = `q-${q.id}-${i}`;
    const current = draft.answer(q.id);
    const checked = multiple ? (Array.isArray(current) ? current : []).includes(String(c.code)) : current === c.code;
    const shown = c.choice ? choiceLabel(q, c.choice) : c.label;
    let label = shown;
    if (scale && i === 0) label = `${shown} (${qText(q, "min_label")})`;
    if (scale && i === options.length - 1) label = `${shown} (${qText(q, "max_label")})`;
    const input = h("input", {
      type: multiple ? "checkbox" : "radio",
      id,
      name: "q-" + q.id,
      value: String(c.code),
      checked,
      onchange: () => {
        const picked = draft.choose(q, c.code, input.checked);
        if (picked) for (const box of list.querySelectorAll("input")) box.checked = picked.includes(box.value);
      },
    });
    list.append(
      h(
        "div",
        { class: "choice" },
        input,
        h("label", { for: id }, shown, label === shown ? null : h("span", { class: "visually-hidden", text: label.slice(shown.length) })),
      ),
    );
  });
  const ends = scale
    ? h(
        "p",
        { class: "scale-ends", "aria-hidden": "true" },
        h("span", { text: `${q.min} = ${qText(q, "min_label")}` }),
        h("span", { text: `${q.max} = ${qText(q, "max_label")}` }),
      )
    : null;
  return h(
    "div",
    { class: cls, "data-q": q.id },
    h("fieldset", { "aria-describedby": described }, h("legend", { text: qText(q, "text") }), hint, errorLine, ends, list),
  );
}

/** An answer as the review shows it. @param {Question} q */
export function answerText(q) {
  const value = draft.answer(q.id);
  if (value == null || draft.isEmpty(value)) return t("not_answered");
  /** @param {string} code */
  const label = (code) => {
    const choice = (q.choices || []).find((c) => c.code === code);
    return choice ? choiceLabel(q, choice) : code;
  };
  if (q.type === "multiple_choice" && Array.isArray(value)) return value.map(label).join(", ");
  if (q.type === "single_choice") return label(String(value));
  return String(value);
}
