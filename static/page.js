// @ts-check
// What the page carries (form_page.py builds it): the questionnaire, the app's words in the
// languages it needs, and whether this is an author's preview. Read once; nothing here changes.

/**
 * @typedef {{code: string, label: string, exclusive?: boolean}} Choice
 * @typedef {"single_choice" | "multiple_choice" | "short_text" | "long_text" | "number" | "scale"} QuestionType
 * @typedef {{
 *   id: string, type: QuestionType, text: string, hint?: string, choices?: Choice[],
 *   min?: number, max?: number, min_label?: string, max_label?: string, required?: boolean,
 *   show_if?: {question: string, codes: string[]},
 * }} Question
 * @typedef {{title: string, questions: Question[]}} Section
 * @typedef {{name: string, phone?: string, url?: string, text?: string}} Support
 * @typedef {{
 *   id: string, version: number, title: string, intro: string, support: Support[],
 *   sections: Section[], languages?: string[], translations?: Record<string, Record<string, string>>,
 * }} Questionnaire
 * @typedef {string | Record<string, string>} Words  a text, or its plural forms by category
 * @typedef {"form" | "missing" | "closed" | "offline"} PageState
 * @typedef {{
 *   state: PageState, def: Questionnaire | null, words: Record<string, Record<string, Words>>,
 *   preview?: {back: string},
 * }} PageData
 */

const block = document.getElementById("data");
/** @type {PageData} */
const DATA = JSON.parse((block && block.textContent) || "{}");

export const STATE = DATA.state;
/** The questionnaire; null on a help page (state missing, closed or offline). */
export const def = DATA.def;
/** The app's words by catalogue name: English and each language the questionnaire has. */
export const CATALOGUES = DATA.words;
/**
 * An author's draft (survey-service preview, or the portal): marked on every screen, and it
 * keeps nothing on the phone and sends nothing (no outbox, no worker). `back`: where the
 * banner's link leads, if anywhere.
 */
export const PREVIEW = DATA.preview || null;

/** @type {Record<string, Question>} every question by id */
export const byId = {};
if (def) for (const s of def.sections) for (const q of s.questions) byId[q.id] = q;
