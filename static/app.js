// The form app: renders a questionnaire one section per screen, each a step in the browser's
// history; keeps the draft in memory only; queues sent answers in the outbox (outbox.js) and
// syncs them, here and, through Background Sync, from the service worker with no page open.
// Everything it needs arrives in the page (see form_page.py): the questionnaire and its words.
"use strict";
(() => {
  const DATA = JSON.parse(document.getElementById("data").textContent);
  const def = DATA.def; // the questionnaire; null on a help page (state missing/closed/offline)
  // An author's draft (survey-service preview, or the portal): marked on every screen, and it
  // keeps nothing on the phone and sends nothing (no outbox, no worker).
  const PREVIEW = DATA.preview || null;
  const EXIT_URL = "https://www.bbc.co.uk/weather";
  const PREFER_NOT = "prefer_not";
  const TEXT_LIMITS = { short_text: 500, long_text: 5000 }; // as the server counts them
  const BACKGROUND_SYNC = "SyncManager" in window;
  const $ = (id) => document.getElementById(id);

  const byId = {};
  if (def) for (const s of def.sections) for (const q of s.questions) byId[q.id] = q;
  let answers = {}; // the draft: memory only, never written anywhere (rule 10)
  let screen = DATA.state === "form" ? "intro" : DATA.state; // intro, a section, review, done
  let errors = []; // [{id, key, vars}] for the error summary; id null for the whole form
  let backToReview = false; // "Change" on the review screen returns there after one section
  let changing = null; // the question "Change my answer" came for: its field gets focus
  let sending = false; // a second tap on Send while the first is queued does nothing
  let last = null; // the response just sent: {id, fate: "waiting" | "sent" | "refused"}

  // ---- languages: the questionnaire's texts by language, the app's words from catalogues ----
  const CATALOGUES = Object.keys(DATA.words);
  const RTL = ["ar", "ur", "fa", "he", "ps", "ckb", "dv", "yi", "sd"];
  const RTL_SCRIPTS = ["Arab", "Hebr", "Thaa", "Syrc", "Nkoo", "Adlm", "Rohg"];
  const english = DATA.words.en || {}; // the fallback for anything a catalogue lacks
  let lang = null; // the language shown, one of def.languages; null for a one-language form
  let words = english;
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
    if (!lang || !def || lang === def.languages[0]) return text;
    const found = ((def.translations || {})[lang] || {})[key];
    return found == null ? text : found;
  }
  const qText = (q, field) => tx(`q.${q.id}.${field}`, q[field]);
  const choiceLabel = (q, c) => tx(`q.${q.id}.choice.${c.code}`, c.label);
  const sectionTitle = (i) => tx(`section.${i}.title`, def.sections[i].title);
  const title = () => (def ? tx("title", def.title) : t("app_name"));

  const catalogueFor = (tag) =>
    CATALOGUES.find((c) => c === tag) || CATALOGUES.find((c) => c === primary(tag));

  // The first of the browser's languages that is available, by tag or by language.
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

  function useLanguage(tag) {
    const name = tag ? catalogueFor(tag) : "en";
    lang = tag;
    words = (name && DATA.words[name]) || english;
    document.documentElement.lang = tag || "en-GB";
    document.documentElement.dir = tag && isRtl(tag) ? "rtl" : "ltr";
    $("brand").textContent = title();
    $("help").textContent = t("get_help");
    $("exit").textContent = t("exit");
    $("support-h").textContent = t("support_heading");
    $("lang-label").textContent = t("language");
    if (PREVIEW) previewBanner();
    showSupport();
  }

  function languageSwitch(languages) {
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
    // Answers are kept by code, so the same draft simply shows in the other language; focus
    // goes to the heading, where a screen reader starts reading the screen again.
    select.onchange = () => {
      useLanguage(select.value);
      render(false);
      $("screen").querySelector("h1").focus();
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

  // ---- the outbox: IndexedDB through outbox.js, or memory where the browser has none ----
  const store = self.surveyOutbox;
  const memory = new Map(); // only where IndexedDB is missing or refuses: lost with the page
  const opened = PREVIEW ? Promise.resolve(null) : store.open();
  let db = null;

  async function queue(item) {
    db = await opened;
    if (db) {
      try {
        await store.put(db, item);
        return;
      } catch {
        // storage full or refused: keep it in memory rather than lose it
      }
    }
    memory.set(item.id, item);
  }
  const inMemory = () => !db || memory.size > 0;

  async function count() {
    db = await opened;
    let stored = 0;
    if (db) {
      try {
        stored = await store.count(db);
      } catch {
        stored = 0;
      }
    }
    return stored + memory.size;
  }

  // Background Sync: the worker sends the outbox when the phone is online, even after this
  // page is closed. Where the browser has no Background Sync, only an open page sends.
  function askWorker() {
    if (!db || !BACKGROUND_SYNC || !navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then((reg) => reg.sync.register("outbox")).catch(() => {});
  }

  // ---- sync: on load, online, after sending, and on a backoff timer; no trigger is lost ----
  let syncing = false;
  let again = false;
  let timer = null;
  let delay = 0;
  let waiting = 0;
  let inFlight = false;
  let problem = null; // null, "offline" or "server": why the last try did not finish
  let refused = 0;
  let sentSome = false; // something left this phone while this page was open

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
    waiting = await count();
    if (!waiting) {
      delay = 0;
      problem = null;
      return showStatus();
    }
    inFlight = true;
    showStatus();
    const outcome = { accepted: [], refused: [], problem: null };
    try {
      if (memory.size) await sendMemory(outcome);
      if (db && !outcome.problem) {
        const stored = await store.flush(db);
        outcome.accepted.push(...stored.accepted);
        outcome.refused.push(...stored.refused);
        outcome.problem = stored.problem;
      }
    } catch {
      outcome.problem = "server"; // storage trouble: try again later, like a failed send
    }
    inFlight = false;
    settle(outcome);
    waiting = await count();
    if (waiting && !problem) again = true; // more than one batch waited
    else if (waiting) backOff();
    else delay = 0;
    showStatus();
  }

  async function sendMemory(outcome) {
    try {
      const settled = await store.send([...memory.values()].slice(0, 100));
      const done = settled.accepted.concat(settled.refused);
      for (const id of done) memory.delete(id);
      outcome.accepted.push(...settled.accepted);
      outcome.refused.push(...settled.refused);
      if (!done.length) outcome.problem = "server"; // an answer that settled nothing
    } catch (error) {
      outcome.problem = error.message;
    }
  }

  // What became of the answers sent, whoever sent them (this page, or the worker).
  function settle(outcome) {
    problem = outcome.problem && !navigator.onLine ? "offline" : outcome.problem;
    refused += outcome.refused.length;
    sentSome = sentSome || outcome.accepted.length > 0;
    if (last && outcome.accepted.includes(last.id)) last.fate = "sent";
    if (last && outcome.refused.includes(last.id)) last.fate = "refused";
    if (outcome.accepted.length || outcome.refused.length) delay = 0;
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
      text = t("waiting", { n: waiting });
      if (inFlight) text += " " + t("sending");
      else if (problem === "offline" || !navigator.onLine) text += " " + t("when_online");
      else if (problem) text += " " + t("server_trouble");
      if (inMemory()) text += " " + t("keep_open");
    } else if (sentSome) {
      text = t("all_sent");
    }
    if (refused) text += " " + t("refused", { n: refused });
    status.textContent = text.trim();
    status.hidden = !text;
    status.className = "status" + (waiting ? " waiting" : " sent");
    refreshDone();
  }

  // The thank-you screen follows what became of the answers, without moving focus.
  function refreshDone() {
    const lead = $("done-lead");
    if (screen !== "done" || !lead) return;
    if (last && last.fate === "refused") return render(true); // a different screen now
    const [leadText, note] = doneTexts();
    lead.textContent = leadText;
    $("done-note").textContent = note;
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

  // ---- rule 5 before sending: what the server will take out of free text, told in advance ----
  // static/screening.js runs the server's own patterns (the server stays the authority: it also
  // has libphonenumber and lists of names, so where this side may miss something it says "may").
  // It is fetched when the respondent starts, never before the form is usable (on slow 3G the
  // first load has no bytes to spare), and the worker keeps it, so the review works offline.
  const SCREENING_SCRIPT = "/app/screening.js";
  let screener = null; // the loaded screener
  let screening = null; // the load in progress
  let unchecked = false; // it could not load (offline before the worker kept it): every text "may"
  let shownNotices = 0; // notices on the review screen now

  function loadScreener() {
    if (!screener && !screening) {
      screening = script(SCREENING_SCRIPT)
        .then(() => self.SurveyScreening.load())
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
          if (screen === "review") showNotices(true);
        });
    }
    return screening || Promise.resolve();
  }

  function script(src) {
    if (self.SurveyScreening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const el = document.createElement("script");
      el.src = src;
      el.onload = resolve;
      el.onerror = () => {
        el.remove();
        reject(new Error(src));
      };
      document.head.append(el);
    });
  }

  // The free-text answers that will not be stored word for word, or may not be: each with the
  // text as it will be sent, the kinds of detail found, and whether the server may take more.
  // null while the screener is still loading.
  function notices() {
    if (!screener && !unchecked) return null;
    const phones = def.support.map((s) => s.phone).filter(Boolean);
    const found = [];
    for (const index of shownSections()) {
      for (const q of def.sections[index].questions) {
        if (!TEXT_LIMITS[q.type] || !visible(q) || isEmpty(answers[q.id])) continue;
        const text = String(answers[q.id]).normalize("NFC").trim(); // as the server screens it
        if (!text) continue;
        const result = screener ? screener.check(text, phones) : { text, kinds: [], maybe: true };
        if (result.kinds.length || result.maybe) found.push({ q, index, ...result });
      }
    }
    return found;
  }

  function kindList(kinds) {
    const names = kinds.map((k) => t("kind_" + k));
    try {
      return new Intl.ListFormat(lang || "en", { type: "conjunction" }).format(names);
    } catch {
      return names.join(", "); // an engine without ListFormat
    }
  }

  // What was found, in words: "We found a person's name and a school in this answer."
  const foundText = (n) => (n.kinds.length ? t("notice_found", { kinds: kindList(n.kinds) }) : t("notice_maybe"));

  // The text as it will be sent, each marker the server puts in shown as a mark.
  function marked(text) {
    const out = [];
    let last = 0;
    for (const m of text.matchAll(/\[([a-z_]+)\]/g)) {
      if (!screener.kinds.includes(m[1])) continue;
      out.push(text.slice(last, m.index), h("mark", { text: m[0] }));
      last = m.index + m[0].length;
    }
    out.push(text.slice(last));
    return out;
  }

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
      onclick: () => {
        backToReview = true;
        go(n.index, n.q.id);
      },
    });
    return h("div", { class: "notice", "data-q": n.q.id }, h("h3", { id: heading, text: qText(n.q, "text") }), lines, change);
  }

  // Fills the review's notices and names the Send button after them. `late`: the screener
  // arrived after the screen was drawn, so the live region says there is something new.
  function showNotices(late) {
    const box = $("notices");
    if (!box) return;
    const list = notices();
    shownNotices = list ? list.length : 0;
    box.textContent = "";
    if (shownNotices) {
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

  // ---- history: every screen is a step, so the phone's Back goes to the previous one ----
  let depth = 0; // this document's entries after its first
  const trail = ["intro"]; // the screen at each depth, as this document pushed them
  let sentDepth = -1; // entries below this hold a draft that has been sent
  let leaving = false;

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

  // The form's own Back walks the same history where it can.
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

  // A step that skip logic no longer shows gives way to the nearest one before it.
  function reachable(step) {
    if (typeof step !== "number") return step;
    const before = shownSections().filter((i) => i <= step);
    return before.length ? before[before.length - 1] : "intro";
  }

  // ---- screens ----
  function render(focus) {
    const root = $("screen");
    root.textContent = "";
    clearTimeout(announcing);
    $("announce").textContent = ""; // news about the screen that was
    let view;
    if (screen === "intro") view = introScreen();
    else if (screen === "review") view = reviewScreen();
    else if (screen === "done") view = doneScreen();
    else if (typeof screen === "number") view = sectionScreen(screen);
    else view = helpScreen(screen);
    root.append(...view.filter(Boolean));
    if (screen === "review") showNotices(false);
    else if (screen !== "intro" && def) loadScreener(); // well before the review needs it
    const named = PREVIEW ? t("preview_title", { title: title() }) : title();
    document.title = (errors.length ? t("error_prefix") : "") + named;
    if (focus !== undefined) window.scrollTo(0, 0); // not on the first screen: it forces a layout
    // "Change my answer" lands in the answer's own field, which reads out what was found.
    const field = changing && !errors.length && $("q-" + changing);
    if (focus) (root.querySelector(".error-summary") || field || root.querySelector("h1")).focus();
  }

  const button = (text, onclick, cls) =>
    h("button", { type: "button", class: cls || "button", text, onclick });

  // A link to no questionnaire, a closed one, or one this phone never kept, with no signal.
  function helpScreen(state) {
    return [h("h1", { tabindex: "-1", text: t(state + "_heading") }), h("p", { text: t(state + "_text") })];
  }

  function introScreen() {
    const anyRequired = Object.values(byId).some((q) => q.required);
    return [
      h("h1", { tabindex: "-1", text: title() }),
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
        errors.map((e) => {
          if (!e.id) return h("li", { text: errorText(e) }); // about the whole form
          const q = byId[e.id];
          return h(
            "li",
            {},
            h("a", {
              href: "#" + fieldId(q),
              text: t("error_link", { message: errorText(e), question: qText(q, "text") }),
              onclick: (ev) => {
                ev.preventDefault();
                $(fieldId(q)).focus();
              },
            }),
          );
        }),
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
      const revealed = [];
      for (const q of section.questions) {
        const box = form.querySelector(`[data-q="${q.id}"]`);
        if (box.hidden && visible(q)) revealed.push(qText(q, "text"));
        box.hidden = !visible(q);
      }
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

  // A polite live region: a question that skip logic shows is read out, not silently added.
  let announcing = null;
  function announce(text) {
    const region = $("announce");
    region.textContent = "";
    clearTimeout(announcing);
    announcing = setTimeout(() => (region.textContent = text), 50); // a change is what is read
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
  // The rules are the server's (responses.py), so nothing it would refuse leaves the phone.
  function check(q, value) {
    if (isEmpty(value)) return q.required ? { key: "answer_this" } : null;
    if (q.type === "number") {
      const text = digits(value).trim();
      const n = Number(text);
      if (!/^-?\d+$/.test(text) || n < q.min || n > q.max) {
        return { key: "whole_number", vars: { min: q.min, max: q.max } };
      }
    }
    const limit = TEXT_LIMITS[q.type];
    // Characters as the server counts them: code points after NFC, not UTF-16 units.
    if (limit && [...String(value).normalize("NFC").trim()].length > limit) {
      return { key: "too_long", vars: { max: limit.toLocaleString(lang || "en") } };
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
    const found = q.id === changing ? (notices() || []).find((n) => n.q.id === q.id) : null;
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
      oninput: (ev) => {
        answers[q.id] = ev.target.value;
      },
    };
    let field;
    if (q.type === "long_text") field = h("textarea", { ...common, rows: "5" });
    else if (q.type === "number") field = h("input", { ...common, type: "text", inputmode: "numeric", class: "number" });
    else field = h("input", { ...common, type: "text" });
    field.value = answers[q.id] == null ? "" : answers[q.id];
    return h("div", { class: cls, "data-q": q.id }, h("label", { for: id, class: "label", text: qText(q, "text") }), hint, note, errorLine, field);
  }

  function choiceQuestion(q, cls, described, hint, errorLine) {
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

  // An exclusive choice ("No one", and "Prefer not to say" always) stands alone: ticking it
  // clears the others, and ticking another clears it. The server refuses the mixture too.
  const alone = (q, code) => code === PREFER_NOT || (q.choices.find((c) => c.code === code) || {}).exclusive === true;

  function choose(q, code, on, list) {
    if (q.type !== "multiple_choice") {
      answers[q.id] = code;
      return;
    }
    let picked = (answers[q.id] || []).filter((c) => c !== code);
    if (on) picked = alone(q, code) ? [code] : picked.filter((c) => !alone(q, c)).concat(code);
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
    loadScreener(); // again, if it could not load before
    return [
      stepLine("review"),
      errorSummary(),
      h("h1", { tabindex: "-1", text: t("check_answers") }),
      h("div", { id: "notices" }), // filled by showNotices once the screen is in the page
      h("p", { id: "nothing-sent" }),
      ...shownSections().map(reviewSection),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "button", id: "send", onclick: trySend }),
        button(t("back"), () => back(previous(Infinity)), "button secondary"),
      ),
    ];
  }

  function reviewSection(index) {
    const rows = def.sections[index].questions.filter(visible).map((q) =>
      h(
        "div",
        { class: "row" },
        h("dt", { text: qText(q, "text") }),
        h("dd", { class: isEmpty(answers[q.id]) ? "none" : null, text: answerText(q) }),
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

  // Send only what the respondent has seen: if the screener arrives after the tap and finds
  // something, the notices come first.
  async function trySend() {
    const seen = shownNotices;
    if (screening) await screening;
    if (shownNotices && shownNotices !== seen) return $("notice-panel").focus();
    send();
  }

  function payload() {
    const out = {};
    for (const q of Object.values(byId)) {
      let value = answers[q.id];
      if (!visible(q) || isEmpty(value)) continue;
      if (q.type === "number") value = Number(digits(value).trim());
      if (q.type === "short_text" || q.type === "long_text") value = value.trim();
      if (value !== "") out[q.id] = value;
    }
    return out;
  }

  async function send() {
    if (sending) return; // a double tap: the first tap is already queuing these answers
    const given = payload();
    if (!Object.keys(given).length) {
      // The server keeps no empty response: say so here rather than queue one it will refuse.
      errors = [{ id: null, key: "nothing_to_send" }];
      return render(true);
    }
    if (PREVIEW) return previewEnd();
    sending = true;
    const item = { id: uuid(), questionnaire: def.id, version: def.version, answers: given };
    if (lang) item.language = lang;
    answers = {}; // the draft is gone as soon as the answer is in the outbox
    backToReview = false;
    await queue(item);
    last = { id: item.id, fate: "waiting" };
    go("done");
    sentDepth = depth;
    sending = false; // the Send button is gone now
    waiting = await count();
    showStatus();
    askWorker();
    sync();
  }

  // ---- a preview: marked on every screen; its Send ends the preview and sends nothing ----
  function previewBanner() {
    let banner = $("preview");
    if (!banner) {
      banner = h("p", { class: "preview-banner", id: "preview" });
      $("main").prepend(banner); // first in the main landmark, above every screen
    }
    banner.textContent = t("preview_banner");
    if (PREVIEW.back) banner.append(" ", h("a", { href: PREVIEW.back, text: t("preview_back") }));
  }

  function previewEnd() {
    answers = {}; // as after a real send: nothing of the draft stays
    backToReview = false;
    last = { id: null, fate: "preview" };
    go("done");
    sentDepth = depth;
  }

  function doneScreen() {
    if (last && last.fate === "preview") {
      return [
        h("h1", { tabindex: "-1", text: t("preview_end_heading") }),
        h("p", { text: t("preview_end_text") }),
        button(t("to_start"), () => go("intro"), "button secondary"),
      ];
    }
    if (last && last.fate === "refused") {
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
    if (!last || last.fate === "sent") return [t("have_answers"), t("sent_note")];
    const note = inMemory() ? "memory_note" : BACKGROUND_SYNC ? "saved_note" : "saved_note_open";
    return [t("ready_to_send"), t(note)];
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // The questionnaire's contacts; a help page shows Childline and 999 in the words shown.
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
      // A phone number reads left to right in any language.
      const phone = h("bdi", { dir: "ltr", text: s.phone });
      if (s.phone) item.append(h("a", { href: "tel:" + s.phone.replace(/[^\d+]/g, "") }, s.name + ": ", phone));
      else if (s.url) item.append(h("a", { href: s.url, rel: "noreferrer noopener", target: "_blank", text: s.name }));
      else item.append(h("strong", { text: s.name }));
      if (s.text) item.append(" ", h("span", { text: s.text }));
      if (s.phone && s.url) {
        const site = t("support_website", { name: s.name });
        item.append(" ", h("a", { href: s.url, rel: "noreferrer noopener", target: "_blank", text: site }));
      }
      list.append(item);
    }
  }

  // ---- Get help: the contacts, from the bar at the top of every screen ----
  $("help").addEventListener("click", () => {
    const heading = $("support-h");
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  });

  // ---- quick exit: clear the draft, hand the outbox on, leave without a way back ----
  function quickExit() {
    leaving = true;
    answers = {};
    backToReview = false;
    changing = null;
    errors = [];
    screen = "intro";
    $("screen").textContent = "";
    if (!PREVIEW) handOver();
    leave();
  }

  // Answers the respondent chose to send stay queued until the server has them (rule 10):
  // deleting them here would lose them. Leaving the page must not strand them either, so
  // the worker is asked to send them now (it outlives this page, and where it cannot send,
  // Background Sync sends them when the phone is next online); answers held in memory go in
  // a keepalive request, the only kind that outlives the page.
  function handOver() {
    if (memory.size) {
      fetch("/api/responses/batch", {
        method: "POST",
        keepalive: true,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ responses: [...memory.values()].slice(0, 100) }),
        credentials: "omit",
      }).catch(() => {});
      memory.clear();
    }
    const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker) worker.postMessage({ type: "flush" });
  }

  // Back from the exit site must not find the form: first return to this document's first
  // history entry, then replace that one too.
  function leave() {
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
    leaving = false;
    answers = {};
    errors = [];
    depth = (history.state && history.state.depth) || 0;
    if (def) {
      screen = "intro";
      render(false);
    }
  });

  // ---- start: everything is in the page, so the first screen renders at once ----
  window.addEventListener("online", sync);
  window.addEventListener("offline", showStatus);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && sync());
  // The worker reports what it sent while this page was open.
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", async (ev) => {
      if (!ev.data || ev.data.type !== "outbox") return;
      settle({ ...ev.data, problem: null });
      waiting = await count();
      showStatus();
    });
  }

  function start() {
    const languages = def ? def.languages || [] : [];
    useLanguage(languages.length ? bestLanguage(languages) : def ? null : bestLanguage(CATALOGUES));
    if (def) languageSwitch(languages);
    history.replaceState({ survey: true, depth: 0, screen }, "");
    render();
    if (!def) return;
    performance.mark("form-usable"); // Start is on screen and works: what make bench times
    if (!PREVIEW) window.addEventListener("load", keepOffline); // a draft is never kept
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
        registration.active.postMessage({ type: "keep", id: def.id }, [channel.port2]);
      })
      .catch(() => {});
  }

  start();
  if (!PREVIEW) sync().then(() => waiting && askWorker());
})();
