// @ts-check
// The form app's entry: shows the first screen at once (everything it needs is in the page,
// see form_page.py), sends what waits, and asks the service worker (sw.js) to keep the form for
// use with no network. The app is native ES modules with no build step, one file per thing it
// owns:
//   page.js             what the page carries: the questionnaire, its words, preview or not
//   i18n.js             the language shown: the app's words and the questionnaire's texts
//   dom.js              building elements (textContent only) and the live region
//   frame.js            around every screen: the bar, the language switch, the contacts
//   draft.js            the answers being given (memory only), skip logic, the server's checks
//   form.js             the screens and the steps between them in history; Send
//   questions.js        one question's field, hint and error; an answer as reviewed
//   screening-notice.js rule 5 before sending: what screening will take out of free text
//   queue.js, outbox.js answers waiting to leave the phone (outbox.js is shared with sw.js)
//   sync.js             sending what waits, exactly once, and the status line
//   exit.js             quick exit
// The server joins them into one inline script (form_page.py), so the first load stays one
// request. Old phones lose nothing by modules: the app already needed Array.prototype.flat to
// draw any element (Chrome 69, Firefox 62, Safari 12), and every browser with that also runs
// ES modules (Chrome 61, Firefox 60, Safari 11) and service workers.

import "./exit.js";
import { firstScreen, redraw } from "./form.js";
import { languageSwitch, speak } from "./frame.js";
import { bestLanguage, catalogueNames } from "./i18n.js";
import { PREVIEW, def } from "./page.js";
import { askWorker } from "./queue.js";
import { anyWaiting, recount, settle, showStatus, sync } from "./sync.js";

window.addEventListener("online", sync);
window.addEventListener("offline", showStatus);
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && sync());
// The worker reports what it sent while this page was open.
if (navigator.serviceWorker) {
  navigator.serviceWorker.addEventListener("message", async (ev) => {
    if (!ev.data || ev.data.type !== "outbox") return;
    settle({ ...ev.data, problem: null });
    await recount();
  });
}

function start() {
  const languages = def ? def.languages || [] : [];
  speak(languages.length ? bestLanguage(languages) : def ? null : bestLanguage(catalogueNames()));
  if (def) languageSwitch(languages, redraw);
  firstScreen();
  if (!def) return;
  performance.mark("form-usable"); // Start is on screen and works: what make bench times
  if (!PREVIEW) window.addEventListener("load", keepOffline); // a draft is never kept
}

function keepOffline() {
  if (!("serviceWorker" in navigator) || !def) return;
  const id = def.id;
  navigator.serviceWorker
    .register("/q/sw.js", { scope: "/q/" })
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (ev) => {
        if (ev.data && ev.data.kept) document.documentElement.dataset.offline = "ready";
      };
      if (registration.active) registration.active.postMessage({ type: "keep", id }, [channel.port2]);
    })
    .catch(() => {});
}

start();
if (!PREVIEW) sync().then(() => anyWaiting() && askWorker());
