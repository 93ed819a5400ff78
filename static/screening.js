// @ts-check
// Rule 5 in the browser: screens free text with the patterns the server uses
// (/app/screening-patterns.json), so the form can tell a respondent, before sending, which
// answer holds what kind of detail and show the text as it will be sent.
//
// The server stays the authority: it also has Google's libphonenumber and lists of first names,
// so it may replace more. Where what is left after this file's replacements still holds
// something the server might take (a long number, a capitalised word, a lower-case word after
// "with" or "and" or after a name found), the answer says `maybe`, so the form never shows a
// text "as it will be sent" without saying that more may go.
//
//   const screener = await SurveyScreening.load();
//   screener.check("text me on 07700 900123", ["0800 1111"])
//     -> { text: "text me on [phone]", kinds: ["phone"], maybe: false }
//
// A plain script (no module, no build step): it sets self.SurveyScreening, in a page or a worker.
"use strict";
/**
 * @typedef {{kind: string, pattern: string, flags?: string, check?: string}} Pattern
 * @typedef {{
 *   kinds: string[], patterns: Pattern[], lists: Record<string, string[]>,
 *   app_hints?: {pattern: string, flags?: string}[], kept_numbers: Record<string, string>,
 * }} Patterns  screening-patterns.json, as the server serves it
 * @typedef {{kind: string, re: RegExp, check: ((matched: string, keep: Set<string>) => boolean) | null}} Compiled
 * @typedef {[number, number, string]} Span  start, end, kind
 */
(function (/** @type {Record<string, unknown>} */ root) {
  const PATTERNS_URL = "/app/screening-patterns.json";
  const MAX_PASSES = 4; // as on the server: a marker can bring two leftovers together
  const SPECIAL = /[.*+?^${}()|[\]\\]/;
  const LIST = /\{\{(~?)([A-Z_]+)\}\}/g;

  /** @param {string} word */
  function anyCase(word) {
    let out = "";
    for (const ch of word) {
      if (/[A-Za-z]/.test(ch)) out += "[" + ch.toLowerCase() + ch.toUpperCase() + "]";
      else if (SPECIAL.test(ch)) out += "\\" + ch;
      else out += ch;
    }
    return out;
  }

  // {{LIST}}: the list's items as regex fragments; {{~LIST}}: literal words in any case.
  /** @param {string} pattern @param {Record<string, string[]>} lists */
  function expand(pattern, lists) {
    return pattern.replace(LIST, (_, /** @type {string} */ tilde, /** @type {string} */ name) => {
      const items = [...lists[name]].sort((a, b) => b.length - a.length);
      return "(?:" + items.map((i) => (tilde ? anyCase(i) : i)).join("|") + ")";
    });
  }

  const digitsOf = (/** @type {string} */ text) => text.replace(/[^0-9]/g, "");

  // A UK number's digits as dialled at home: +44 / 0044 / 44 become the trunk 0.
  /** @param {string} digits */
  function national(digits) {
    for (const prefix of ["0044", "44"]) {
      if (digits.startsWith(prefix) && digits.length - prefix.length >= 9) {
        const rest = digits.slice(prefix.length);
        return rest.startsWith("0") ? rest : "0" + rest;
      }
    }
    if (digits.length === 10 && digits.startsWith("7")) return "0" + digits;
    return digits;
  }

  // NHS Digital's modulus 11 check.
  /** @param {string} digits */
  function isNhsNumber(digits) {
    if (!/^[0-9]{10}$/.test(digits)) return false;
    let total = 0;
    for (let i = 0; i < 9; i++) total += Number(digits[i]) * (10 - i);
    const check = 11 - (total % 11);
    return check !== 10 && (check === 11 ? 0 : check) === Number(digits[9]);
  }

  /** @type {Record<string, (matched: string, keep: Set<string>) => boolean>} */
  const CHECKS = {
    nhs_modulus_11: (matched) => isNhsNumber(digitsOf(matched)),
    not_kept: (matched, keep) => !keep.has(national(digitsOf(matched))),
  };

  // Other scripts' digits (Arabic-Indic, fullwidth, …) as ASCII, one for one, so the
  // patterns' [0-9] see them and positions stay put. Each script's digits run 0 to 9.
  /** @param {string} text */
  function asciiDigits(text) {
    return text.replace(/\p{Nd}/gu, (ch) => {
      if (ch.length > 1 || (ch >= "0" && ch <= "9")) return ch; // ASCII, or beyond one unit
      let start = ch.charCodeAt(0);
      while (/\p{Nd}/u.test(String.fromCharCode(start - 1))) start--;
      return String((ch.charCodeAt(0) - start) % 10);
    });
  }

  /** @param {Patterns} doc */
  function compile(doc) {
    const lists = doc.lists;
    const kinds = doc.kinds;
    const rank = new Map(kinds.map((k, i) => [k, i]));
    /** @type {string[]} */
    const failed = [];
    /** @param {Pattern} p @returns {Compiled | null} */
    const build = (p) => {
      try {
        const re = new RegExp(expand(p.pattern, lists), "gd" + (p.flags || ""));
        return { kind: p.kind, re, check: p.check ? CHECKS[p.check] : null };
      } catch {
        failed.push(p.kind); // an older browser's regex engine: say maybe, never say nothing
        return null;
      }
    };
    const patterns = /** @type {Compiled[]} */ (doc.patterns.map(build).filter(Boolean));
    const hints = /** @type {Compiled[]} */ ((doc.app_hints || []).map((h) => build({ kind: "maybe", ...h })).filter(Boolean));
    const helplines = Object.keys(doc.kept_numbers);

    /** @param {string[] | undefined} phones */
    function keepFor(phones) {
      const keep = new Set(helplines);
      for (const phone of phones || []) if (digitsOf(phone)) keep.add(national(digitsOf(phone)));
      return keep;
    }

    /** @param {string} text @param {Set<string>} keep */
    function spans(text, keep) {
      const plain = asciiDigits(text);
      /** @type {Span[]} */
      const found = [];
      for (const p of patterns) {
        p.re.lastIndex = 0;
        for (const m of plain.matchAll(p.re)) {
          const indices = /** @type {RegExpIndicesArray} */ (m.indices); // every pattern has "d"
          const span = indices.groups && indices.groups.span;
          const [start, end] = /** @type {[number, number]} */ (span || indices[0]);
          if (start === end) continue;
          if (p.check && !p.check(plain.slice(start, end), keep)) continue;
          found.push([start, end, p.kind]);
        }
      }
      return choose(found);
    }

    // Longest first, then the stronger kind; a span that overlaps a chosen one is dropped.
    /** @param {Span[]} found */
    function choose(found) {
      /** @param {Span} a @param {Span} b */
      const longer = (a, b) => b[1] - b[0] - (a[1] - a[0]);
      /** @param {Span} a */
      const strength = (a) => rank.get(a[2]) || 0;
      found.sort((a, b) => longer(a, b) || strength(a) - strength(b) || a[0] - b[0]);
      /** @type {Span[]} */
      const chosen = [];
      for (const span of found) {
        if (chosen.every((c) => span[1] <= c[0] || c[1] <= span[0])) chosen.push(span);
      }
      return chosen.sort((a, b) => a[0] - b[0]);
    }

    /** @param {string} text @param {Set<string>} keep */
    function screen(text, keep) {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const found = spans(text, keep);
        if (!found.length) break;
        let out = "";
        let last = 0;
        for (const [start, end, kind] of found) {
          out += text.slice(last, start) + "[" + kind + "]";
          last = end;
        }
        text = out + text.slice(last);
      }
      return text;
    }

    /** @param {string} text @param {string} kind */
    const count = (text, kind) => text.split("[" + kind + "]").length - 1;

    // What the form needs before sending: the text as it will be sent (as far as this side
    // knows), the kinds of detail found, and whether the server may well find more.
    /** @param {string} text @param {string[]} [supportPhones] */
    function check(text, supportPhones) {
      const keep = keepFor(supportPhones);
      const screened = screen(String(text), keep);
      const found = kinds.filter((k) => count(screened, k) > count(text, k));
      // The hints look at what is left, support numbers taken out: Childline is no warning.
      const left = asciiDigits(screened).replace(/\+?[0-9][0-9 ()-]*[0-9]/g, (number) =>
        keep.has(national(digitsOf(number))) ? "" : number,
      );
      const maybe = failed.length > 0 || hints.some((h) => ((h.re.lastIndex = 0), h.re.test(left)));
      return { text: screened, kinds: found, maybe };
    }

    return { check, kinds, failed };
  }

  /** @param {string} [url] */
  async function load(url) {
    const response = await fetch(url || PATTERNS_URL);
    if (!response.ok) throw new Error("screening patterns: " + response.status);
    return compile(await response.json());
  }

  root.SurveyScreening = { compile, load };
})(typeof self !== "undefined" ? self : globalThis);
