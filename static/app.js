// The form app: renders a questionnaire one section per screen, keeps the draft in memory only,
// queues sent answers in an outbox (IndexedDB, or memory) and syncs them to the batch endpoint.
"use strict";
(() => {
  const QID = document.documentElement.dataset.q;
  const EXIT_URL = "https://www.bbc.co.uk/weather";
  const PREFER_NOT = "prefer_not";
  const $ = (id) => document.getElementById(id);

  let def = null; // the questionnaire definition
  let byId = {};
  let answers = {}; // the draft: memory only, never written anywhere (rule 10)
  let screen = "intro"; // "intro" | section index | "review" | "done" | "failed"
  let errors = []; // [{id, message}] for the error summary
  let warnPersonal = false;
  let sentThisVisit = false;
  let refused = 0;
  let closed = false; // the service has no open version of this questionnaire
  let backToReview = false; // "Change" on the review screen returns there after one section

  // ---- languages: the questionnaire's texts by language, the app's words from catalogues ----
  const CATALOGUES = (document.documentElement.dataset.i18n || "en").split(" ");
  const RTL = ["ar", "ur", "fa", "he", "ps", "ckb", "dv", "yi", "sd"];
  const RTL_SCRIPTS = ["Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg"];
  let lang = null; // the language shown, one of def.languages; null for a one-language form
  let words = {}; // this language's catalogue
  let english = {}; // the fallback for anything a catalogue lacks
  const loaded = new Map();
  const primary = (tag) => tag.split("-")[0].toLowerCase();

  function t(key, vars) {
    let text = key in words ? words[key] : english[key];
    if (text == null) return "";
    if (typeof text === "object") {
      text = text[new Intl.PluralRules(lang || "en").select(vars.n)] || text.other;
    }
    return text.replace(/\{(\w+)\}/g, (m, name) => (vars && name in vars ? vars[name] : m));
  }

  // Text from the definition in the language shown; the plain field is the default language.
  function tx(key, text) {
    if (!lang || lang === def.languages[0]) return text;
    const found = ((def.translations || {})[lang] || {})[key];
    return found == null ? text : found;
  }
  const qText = (q, field) => tx(`q.${q.id}.${field}`, q[field]);
  const choiceLabel = (q, c) => tx(`q.${q.id}.choice.${c.code}`, c.label);
  const sectionTitle = (i) => tx(`section.${i}.title`, def.sections[i].title);

  function catalogue(name) {
    if (!loaded.has(name)) {
      const request = fetch("/app/i18n/" + name + ".json", { credentials: "omit" }).then((r) => {
        if (!r.ok) throw new Error("catalogue " + r.status);
        return r.json();
      });
      request.catch(() => loaded.delete(name)); // try again next time, perhaps online
      loaded.set(name, request);
    }
    return loaded.get(name);
  }
  const catalogueFor = (tag) =>
    CATALOGUES.find((c) => c === tag) || CATALOGUES.find((c) => c === primary(tag));

  // The first of the browser's languages that the questionnaire has, by tag or by language.
  function bestLanguage(available) {
    const wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    for (const tag of wanted) {
      const found =
        available.find((a) => a.toLowerCase() === tag.toLowerCase()) ||
        available.find((a) => primary(a) === primary(tag));
      if (found) return found;
    }
    return available[0];
  }

  function isRtl(tag) {
    const parts = tag.split("-");
    return RTL.includes(parts[0].toLowerCase()) || parts.slice(1).some((p) => RTL_SCRIPTS.includes(p));
  }

  async function useLanguage(tag) {
    const name = tag ? catalogueFor(tag) : "en";
    let found = {};
    try {
      found = name ? await catalogue(name) : {};
    } catch {
      // offline and never cached: the questionnaire's own texts still show, in English words
    }
    lang = tag;
    words = found;
    document.documentElement.lang = tag || "en-GB";
    document.documentElement.dir = tag && isRtl(tag) ? "rtl" : "ltr";
    $("brand").textContent = t("app_name");
    $("exit").textContent = t("exit");
    $("support-h").textContent = t("support_heading");
    $("lang-label").textContent = t("language");
    if (def) showSupport();
  }

  function languageSwitch() {
    const languages = def.languages || [];
    const select = $("lang");
    select.textContent = "";
    for (const tag of languages) {
      let name = tag;
      try {
        name = new Intl.DisplayNames([tag], { type: "language" }).of(tag) || tag;
      } catch {
        // an engine without DisplayNames shows the tag
      }
      select.append(h("option", { value: tag, lang: tag, text: name[0].toLocaleUpperCase(tag) + name.slice(1) }));
    }
    select.value = lang;
    // Answers are kept by code, so the same draft simply shows in the other language.
    select.onchange = async () => {
      await useLanguage(select.value);
      render(false);
    };
    $("langs").hidden = languages.length < 2;
  }

  // ---- building elements (textContent only: definition text is never parsed as HTML) ----
  function h(tag, attrs, ...kids) {
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
  const paragraphs = (text) =>
    String(text || "")
      .split(/\n\s*\n/)
      .filter((p) => p.trim())
      .map((p) => h("p", { text: p.trim() }));

  // ---- outbox: IndexedDB when it works, memory otherwise (with an honest message) ----
  const outbox = (() => {
    const memory = new Map();
    let db = null;
    let inMemory = false;
    const ready = new Promise((resolve) => {
      let settled = false;
      const fallBack = () => {
        if (settled) return;
        settled = inMemory = true;
        resolve();
      };
      setTimeout(fallBack, 3000); // some private modes never answer
      try {
        const req = indexedDB.open("outbox", 1);
        req.onupgradeneeded = () => req.result.createObjectStore("items", { keyPath: "id" });
        req.onsuccess = () => {
          if (settled) return req.result.close();
          settled = true;
          db = req.result;
          resolve();
        };
        req.onerror = fallBack;
        req.onblocked = fallBack;
      } catch {
        fallBack();
      }
    });
    function run(mode, work) {
      return new Promise((resolve, reject) => {
        const tx = db.transaction("items", mode);
        const req = work(tx.objectStore("items"));
        tx.oncomplete = () => resolve(req && req.result);
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
    }
    return {
      get inMemory() {
        return inMemory || memory.size > 0;
      },
      async put(item) {
        await ready;
        if (db && !inMemory) {
          try {
            return await run("readwrite", (store) => store.put(item));
          } catch {
            // storage full or refused: keep it in memory rather than lose it
          }
        }
        memory.set(item.id, item);
      },
      async all() {
        await ready;
        let stored = [];
        if (db && !inMemory) {
          try {
            stored = await run("readonly", (store) => store.getAll());
          } catch {
            stored = [];
          }
        }
        return stored.concat([...memory.values()]);
      },
      async remove(ids) {
        await ready;
        for (const id of ids) memory.delete(id);
        if (db && !inMemory) await run("readwrite", (store) => ids.forEach((id) => store.delete(id)));
      },
    };
  })();

  // ---- sync: on load, online, after sending, and on a backoff timer; no trigger is lost ----
  let syncing = false;
  let again = false;
  let timer = null;
  let delay = 0;
  let waiting = 0;

  async function sync() {
    if (syncing) {
      again = true; // the running sync loops once more instead of dropping this trigger
      return;
    }
    syncing = true;
    clearTimeout(timer);
    timer = null;
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
    const items = await outbox.all();
    waiting = items.length;
    showStatus();
    if (!items.length) {
      delay = 0;
      return;
    }
    const batch = items.slice(0, 100);
    try {
      const response = await fetch("/api/responses/batch", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ responses: batch }),
        cache: "no-store",
        credentials: "omit",
      });
      if (!response.ok) throw new Error("status " + response.status);
      const done = [];
      // Results come in the order sent; the position names an item whose id the server refused.
      ((await response.json()).results || []).forEach((result, i) => {
        if (result.status === "conflict" || result.status === "rejected") refused += 1;
        if (result.status && i < batch.length) done.push(result.id || batch[i].id);
      });
      await outbox.remove(done);
      sentThisVisit = sentThisVisit || done.length > 0;
      delay = 0;
      const left = await outbox.all();
      waiting = left.length;
      if (left.length && done.length) again = true; // more than one batch waited
      else if (left.length) backOff();
    } catch {
      backOff();
    }
    showStatus();
  }

  function backOff() {
    delay = Math.min(delay ? delay * 2 : 2000, 60000);
    clearTimeout(timer);
    timer = setTimeout(sync, delay + Math.random() * 1000);
  }

  function showStatus() {
    const status = $("status");
    let text = "";
    if (waiting) {
      text = t("waiting", { n: waiting }) + " " + t(navigator.onLine ? "retry_soon" : "when_online");
      if (outbox.inMemory) text += " " + t("keep_open");
    } else if (sentThisVisit) {
      text = t("all_sent");
    }
    if (refused) text += " " + t("refused", { n: refused });
    status.textContent = text;
    status.hidden = !text;
    status.className = "status" + (waiting ? " waiting" : " sent");
    const note = $("done-note");
    if (note) {
      note.textContent = doneNote();
      $("done-lead").textContent = t(waiting ? "ready_to_send" : "have_answers");
    }
  }

  // ---- skip logic ----
  function visible(q) {
    const rule = q.show_if;
    if (!rule) return true;
    const control = byId[rule.question];
    if (!control || !visible(control)) return false;
    const answer = answers[rule.question];
    const picked = Array.isArray(answer) ? answer : answer == null ? [] : [answer];
    return picked.some((code) => rule.codes.includes(code));
  }
  const shownSections = () =>
    def.sections.map((s, i) => i).filter((i) => def.sections[i].questions.some(visible));
  const isEmpty = (v) => v == null || v === "" || (Array.isArray(v) && !v.length);

  // ---- free text that looks like personal details (the server removes them anyway) ----
  const PERSONAL = [
    /[^\s@]+@[^\s@]+\.[a-z]{2,}/i,
    /(\+44|\b0)[\d\s-]{9,13}\d/,
    /\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b/i,
  ];
  function personalQuestions() {
    return Object.values(byId).filter(
      (q) =>
        (q.type === "short_text" || q.type === "long_text") &&
        visible(q) &&
        PERSONAL.some((re) => re.test(answers[q.id] || "")),
    );
  }

  // ---- screens ----
  function render(focus) {
    const root = $("screen");
    root.textContent = "";
    let view;
    if (screen === "failed") view = failedScreen();
    else if (screen === "intro") view = introScreen();
    else if (screen === "review") view = reviewScreen();
    else if (screen === "done") view = doneScreen();
    else view = sectionScreen(screen);
    root.append(...view.filter(Boolean));
    document.title = (errors.length ? t("error_prefix") : "") + t("app_name");
    window.scrollTo(0, 0);
    if (focus) {
      const target = root.querySelector(".error-summary") || root.querySelector("h1");
      target.focus();
    }
  }

  function go(next) {
    screen = next;
    errors = [];
    render(true);
  }

  const button = (text, onclick, cls) =>
    h("button", { type: "button", class: cls || "button", text, onclick });

  function failedScreen() {
    if (closed) {
      return [h("h1", { tabindex: "-1", text: t("closed_heading") }), h("p", { text: t("closed_text") })];
    }
    return [
      h("h1", { tabindex: "-1", text: t("failed_heading") }),
      h("p", { text: t("failed_text") }),
      button(t("try_again"), () => location.reload()),
    ];
  }

  function introScreen() {
    const anyRequired = Object.values(byId).some((q) => q.required);
    return [
      h("h1", { tabindex: "-1", text: tx("title", def.title) }),
      ...paragraphs(tx("intro", def.intro)),
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
      button(t("start"), () => go(shownSections()[0]), "button start"),
    ];
  }

  function stepLine(index) {
    const shown = shownSections();
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
        errors.map((e) =>
          h(
            "li",
            {},
            h("a", {
              href: "#" + fieldId(byId[e.id]),
              text: t("error_link", { message: errorText(e), question: qText(byId[e.id], "text") }),
              onclick: (ev) => {
                ev.preventDefault();
                $(fieldId(byId[e.id])).focus();
              },
            }),
          ),
        ),
      ),
    );
  }

  const errorText = (e) => t(e.key, e.vars);
  const fieldId = (q) => "q-" + q.id + (q.choices || q.type === "scale" ? "-0" : "");

  function sectionScreen(index) {
    const section = def.sections[index];
    const form = h("form", {
      novalidate: true,
      autocomplete: "off",
      onsubmit: (ev) => {
        ev.preventDefault();
        next(index);
      },
    });
    for (const q of section.questions) {
      const box = question(q);
      box.hidden = !visible(q);
      form.append(box);
    }
    form.addEventListener("change", () => {
      for (const q of section.questions) form.querySelector(`[data-q="${q.id}"]`).hidden = !visible(q);
    });
    form.append(
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "button", text: t("next") }),
        button(t("back"), () => go(previous(index)), "button secondary"),
      ),
    );
    return [stepLine(index), errorSummary(), h("h1", { tabindex: "-1", text: sectionTitle(index) }), form];
  }

  function previous(index) {
    const before = shownSections().filter((i) => i < index);
    return before.length ? before[before.length - 1] : "intro";
  }

  function next(index) {
    errors = [];
    for (const q of def.sections[index].questions) {
      if (!visible(q)) continue;
      const problem = check(q, answers[q.id]);
      if (problem) errors.push({ id: q.id, ...problem });
    }
    if (errors.length) return render(true);
    const after = shownSections().filter((i) => i > index);
    go(after.length && !backToReview ? after[0] : "review");
  }

  // A problem is a catalogue key, so it reads in whatever language is shown when it is shown.
  function check(q, value) {
    if (isEmpty(value)) return q.required ? { key: "answer_this" } : null;
    if (q.type === "number") {
      const text = digits(value).trim();
      const n = Number(text);
      if (!/^-?\d+$/.test(text) || n < q.min || n > q.max) {
        return { key: "whole_number", vars: { min: q.min, max: q.max } };
      }
    }
    return null;
  }

  // Arabic-Indic and Persian digits typed on a phone keyboard count as the same number.
  const digits = (value) =>
    String(value).replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) & 0xf));

  function question(q) {
    const error = errors.find((e) => e.id === q.id);
    const hintId = "q-" + q.id + "-hint";
    const errorId = "q-" + q.id + "-error";
    const described = [q.hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || null;
    const hint = q.hint ? h("p", { class: "hint", id: hintId, text: qText(q, "hint") }) : null;
    const errorLine = error
      ? h("p", { class: "error-message", id: errorId }, h("span", { class: "visually-hidden", text: t("error_prefix") }), errorText(error))
      : null;
    const cls = "question" + (error ? " has-error" : "");
    if (q.choices || q.type === "scale") {
      const multiple = q.type === "multiple_choice";
      const options =
        q.type === "scale"
          ? Array.from({ length: q.max - q.min + 1 }, (_, i) => ({ code: q.min + i, label: String(q.min + i) }))
          : q.choices;
      const list = h("div", { class: q.type === "scale" ? "scale" : "choices" });
      options.forEach((c, i) => {
        const id = `q-${q.id}-${i}`;
        const current = answers[q.id];
        const checked = multiple ? (current || []).includes(c.code) : current === c.code;
        const shown = q.type === "scale" ? c.label : choiceLabel(q, c);
        let label = shown;
        if (q.type === "scale" && i === 0) label = `${shown} (${qText(q, "min_label")})`;
        if (q.type === "scale" && i === options.length - 1) label = `${shown} (${qText(q, "max_label")})`;
        const input = h("input", {
          type: multiple ? "checkbox" : "radio",
          id,
          name: "q-" + q.id,
          value: String(c.code),
          checked,
          onchange: () => choose(q, c.code, input.checked, list),
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
      const ends =
        q.type === "scale"
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
    const id = "q-" + q.id;
    const common = {
      id,
      name: id,
      autocomplete: "off",
      "aria-describedby": described,
      oninput: (ev) => {
        answers[q.id] = ev.target.value;
      },
    };
    let field;
    if (q.type === "long_text") field = h("textarea", { ...common, rows: "5", maxlength: "5000" });
    else if (q.type === "number") field = h("input", { ...common, type: "text", inputmode: "numeric", class: "number" });
    else field = h("input", { ...common, type: "text", maxlength: "500" });
    field.value = answers[q.id] == null ? "" : answers[q.id];
    return h("div", { class: cls, "data-q": q.id }, h("label", { for: id, class: "label", text: qText(q, "text") }), hint, errorLine, field);
  }

  function choose(q, code, on, list) {
    if (q.type !== "multiple_choice") {
      answers[q.id] = code;
      return;
    }
    let picked = (answers[q.id] || []).filter((c) => c !== code);
    if (on) {
      // "Prefer not to say" excludes the other choices, and they exclude it.
      picked = code === PREFER_NOT ? [code] : picked.filter((c) => c !== PREFER_NOT).concat(code);
    }
    answers[q.id] = picked;
    for (const box of list.querySelectorAll("input")) box.checked = picked.includes(box.value);
  }

  function answerText(q) {
    const value = answers[q.id];
    if (isEmpty(value)) return t("not_answered");
    const label = (code) => {
      const choice = (q.choices || []).find((c) => c.code === code);
      return choice ? choiceLabel(q, choice) : code;
    };
    if (q.type === "multiple_choice") return value.map(label).join(", ");
    if (q.type === "single_choice") return label(value);
    return String(value);
  }

  function reviewScreen() {
    backToReview = false;
    const flagged = warnPersonal ? personalQuestions() : [];
    const parts = [stepLine("review"), h("h1", { tabindex: "-1", text: t("check_answers") })];
    parts.push(h("p", { text: t("nothing_sent") }));
    for (const index of shownSections()) {
      const section = def.sections[index];
      const rows = section.questions.filter(visible).map((q) =>
        h(
          "div",
          { class: "row" },
          h("dt", { text: qText(q, "text") }),
          h("dd", { class: isEmpty(answers[q.id]) ? "none" : null, text: answerText(q) }),
        ),
      );
      parts.push(
        h(
          "section",
          { class: "review" },
          h(
            "div",
            { class: "review-head" },
            h("h2", { text: sectionTitle(index) }),
            h(
              "button",
              {
                type: "button",
                class: "link-button",
                onclick: () => {
                  backToReview = true;
                  go(index);
                },
              },
              t("change"),
              h("span", { class: "visually-hidden", text: " " + sectionTitle(index) }),
            ),
          ),
          h("dl", {}, rows),
        ),
      );
    }
    if (flagged.length) {
      parts.push(
        h(
          "div",
          { class: "warning", role: "alert", tabindex: "-1", id: "personal" },
          h("h2", { text: t("personal_heading") }),
          h("p", { text: t("personal_text") }),
          h(
            "div",
            { class: "actions" },
            button(
              t("change_answer"),
              () => {
                backToReview = true;
                go(def.sections.findIndex((s) => s.questions.includes(flagged[0])));
              },
              "button secondary",
            ),
            button(t("send_anyway"), send),
          ),
        ),
      );
    } else {
      parts.push(
        h(
          "div",
          { class: "actions" },
          button(t("send"), trySend),
          button(t("back"), () => go(previous(Infinity)), "button secondary"),
        ),
      );
    }
    return parts;
  }

  function trySend() {
    if (personalQuestions().length) {
      warnPersonal = true;
      render(false);
      $("personal").focus();
      return;
    }
    send();
  }

  async function send() {
    const payload = {};
    for (const q of Object.values(byId)) {
      let value = answers[q.id];
      if (!visible(q) || isEmpty(value)) continue;
      if (q.type === "number") value = Number(digits(value).trim());
      if (q.type === "short_text" || q.type === "long_text") value = value.trim();
      if (value !== "") payload[q.id] = value;
    }
    const item = { id: uuid(), questionnaire: def.id, version: def.version, answers: payload };
    if (lang) item.language = lang;
    answers = {}; // the draft is gone as soon as the answer is in the outbox
    warnPersonal = backToReview = false;
    await outbox.put(item);
    waiting += 1;
    go("done");
    showStatus();
    sync();
  }

  function doneNote() {
    if (!waiting) return t("sent_note");
    return t(outbox.inMemory ? "memory_note" : "saved_note");
  }

  function doneScreen() {
    return [
      h("h1", { tabindex: "-1", text: t("thank_you") }),
      h("p", { class: "lead", id: "done-lead", text: t(waiting ? "ready_to_send" : "have_answers") }),
      h("p", { id: "done-note", text: doneNote() }),
      h("p", { text: t("upset") }),
      button(t("to_start"), () => go("intro"), "button secondary"),
    ];
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  function showSupport() {
    const list = $("support-list");
    list.textContent = "";
    (def.support || []).forEach((s, i) => {
      const name = tx(`support.${i}.name`, s.name);
      const item = h("li", {});
      // A phone number reads left to right in any language.
      const phone = h("bdi", { dir: "ltr", text: s.phone });
      if (s.phone) item.append(h("a", { href: "tel:" + s.phone.replace(/[^\d+]/g, "") }, name + ": ", phone));
      else if (s.url) item.append(h("a", { href: s.url, rel: "noreferrer noopener", target: "_blank", text: name }));
      else item.append(h("strong", { text: name }));
      if (s.text) item.append(" ", h("span", { text: tx(`support.${i}.text`, s.text) }));
      if (s.phone && s.url) {
        const site = t("support_website", { name });
        item.append(" ", h("a", { href: s.url, rel: "noreferrer noopener", target: "_blank", text: site }));
      }
      list.append(item);
    });
  }

  // ---- quick exit: clear the draft, replace this page in history, leave ----
  function quickExit() {
    answers = {};
    backToReview = false;
    errors = [];
    screen = "intro";
    $("screen").textContent = "";
    location.replace(EXIT_URL);
  }
  $("exit").addEventListener("click", quickExit);
  // Shift pressed on its own 3 times within 5 seconds. Shift used for a capital letter does not
  // count, and any other key starts the count again, so typing never leaves by accident.
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
    if (!ev.persisted) return; // restored from the back-forward cache: show a blank start
    answers = {};
    errors = [];
    screen = def ? "intro" : screen;
    if (def) render(false);
  });

  // ---- start ----
  window.addEventListener("online", sync);
  window.addEventListener("offline", showStatus);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && sync());

  async function start() {
    const fallback = catalogue("en").then(
      (found) => (english = found),
      () => {},
    );
    try {
      const response = await fetch("/api/questionnaires/" + encodeURIComponent(QID), { credentials: "omit" });
      closed = response.status === 404;
      if (!response.ok) throw new Error("status " + response.status);
      def = await response.json();
    } catch {
      await fallback;
      // No questionnaire to take languages from: the browser's own, if there is a catalogue.
      await useLanguage(bestLanguage(CATALOGUES));
      screen = "failed";
      render(false);
      return;
    }
    await fallback;
    byId = {};
    for (const s of def.sections) for (const q of s.questions) byId[q.id] = q;
    await useLanguage(def.languages ? bestLanguage(def.languages) : null);
    languageSwitch();
    render(false);
    keepOffline();
  }

  function keepOffline() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker
      .register("/q/sw.js", { scope: "/q/" })
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (ev) => {
          if (ev.data && ev.data.kept) document.documentElement.dataset.offline = "ready";
        };
        // The worker keeps the catalogue of every language this form can show, for offline.
        const languages = (def.languages || []).map(catalogueFor).filter(Boolean);
        const message = { type: "keep", id: def.id, version: def.version, languages };
        registration.active.postMessage(message, [channel.port2]);
      })
      .catch(() => {});
  }

  start();
  sync();
})();
