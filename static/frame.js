// @ts-check
// What surrounds every screen: the bar (Get help, the title, Exit), the language switch, the
// preview banner, and the contacts at the foot of the page, all in the language shown.

import { $, h } from "./dom.js";
import { language, nameOf, t, title, tx, useLanguage } from "./i18n.js";
import { PREVIEW, def } from "./page.js";

/**
 * Shows everything around the screen in `tag` (null: the questionnaire's only language).
 * @param {string | null} tag
 */
export function speak(tag) {
  useLanguage(tag);
  $("brand").textContent = title();
  $("help").textContent = t("get_help");
  $("exit").textContent = t("exit");
  $("support-h").textContent = t("support_heading");
  $("lang-label").textContent = t("language");
  if (PREVIEW) previewBanner(PREVIEW.back);
  showSupport();
}

/**
 * The switch between the questionnaire's languages, shown where it has two or more. Answers
 * are kept by code, so the same draft simply shows in the other language; `redraw` draws the
 * screen again and puts focus on its heading, where a screen reader starts reading again.
 * @param {string[]} languages
 * @param {() => void} redraw
 */
export function languageSwitch(languages, redraw) {
  const select = /** @type {HTMLSelectElement} */ ($("lang"));
  select.textContent = "";
  for (const tag of languages) select.append(h("option", { value: tag, lang: tag, text: nameOf(tag) }));
  select.value = language() || "";
  select.onchange = () => {
    speak(select.value);
    redraw();
  };
  $("langs").hidden = languages.length < 2;
}

/** A preview is marked on every screen, first in the main landmark. @param {string} back */
function previewBanner(back) {
  let banner = document.getElementById("preview");
  if (!banner) {
    banner = h("p", { class: "preview-banner", id: "preview" });
    $("main").prepend(banner);
  }
  banner.textContent = t("preview_banner");
  if (back) banner.append(" ", h("a", { href: back, text: t("preview_back") }));
}

/** The questionnaire's contacts; a help page shows Childline and 999 in the words shown. */
function showSupport() {
  const list = $("support-list");
  const contacts = def
    ? def.support.map((s, i) => ({ ...s, name: tx(`support.${i}.name`, s.name), text: s.text && tx(`support.${i}.text`, s.text) }))
    : [
        { name: "Childline", phone: "0800 1111", text: t("childline_text") },
        { name: t("danger_name"), phone: "999", text: t("danger_text") },
      ];
  list.textContent = "";
  for (const s of contacts) {
    const item = h("li", {});
    const url = "url" in s ? s.url : undefined;
    // A phone number reads left to right in any language.
    const phone = h("bdi", { dir: "ltr", text: s.phone });
    if (s.phone) item.append(h("a", { href: "tel:" + s.phone.replace(/[^\d+]/g, "") }, s.name + ": ", phone));
    else if (url) item.append(h("a", { href: url, rel: "noreferrer noopener", target: "_blank", text: s.name }));
    else item.append(h("strong", { text: s.name }));
    if (s.text) item.append(" ", h("span", { text: s.text }));
    if (s.phone && url) {
      const site = t("support_website", { name: s.name });
      item.append(" ", h("a", { href: url, rel: "noreferrer noopener", target: "_blank", text: site }));
    }
    list.append(item);
  }
}

// Get help: the contacts, from the bar at the top of every screen.
$("help").addEventListener("click", () => {
  const heading = $("support-h");
  heading.scrollIntoView({ block: "start" });
  heading.focus({ preventScroll: true });
});
