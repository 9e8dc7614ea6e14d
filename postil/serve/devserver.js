// postil live preview. Injected into pages only while `postil serve` runs.
// One tab (the holder of a Web Lock) keeps the only event stream and passes each message
// to the other tabs over a BroadcastChannel, so many open tabs never use up the browser's
// few connections per host. Without those APIs every tab listens for itself.
//
// A tab whose page changed fetches the new page and swaps it in without a reload: <head>'s
// stylesheets and scripts stay as they are (so nothing is fetched again and nothing flashes
// unstyled), its title and metadata are replaced, and <body> is replaced whole. The page's
// scripts must agree first, because what they attached to the old body is gone: each
// <script> on the page (except the inline ones of <head>, which ran before there was a
// body) is sent a cancelable `postil:update` event, and a script that can start over calls
// preventDefault() and undoes what it attached to window and document; once the new body
// is in, `postil:updated` is sent to document and those scripts start again. Anything
// else (a script that did not agree, a script in the new body, different stylesheets or
// scripts in the new <head>, a failed fetch) makes the tab reload instead.
(() => {
  "use strict";
  const script = document.currentScript;
  const serverId = script.dataset.server;
  let seenBuild = Number(script.dataset.build);
  const name = "postil-live-preview";
  const scrollKey = "postil-scroll:" + location.pathname;
  const blocksKey = "postil-blocks:" + location.pathname;
  const blockSelector = "main :is(p, li, h1, h2, h3, h4, h5, h6, pre, blockquote, td, dt, dd, figcaption)";
  // What in <head> may change without a reload: nothing here loads or runs anything.
  const metadata =
    'title, meta[name], meta[property], link:is([rel~="canonical" i], [rel~="alternate" i]):not([rel~="stylesheet" i]), script[type$="json" i]';

  const blockTexts = () => Array.from(document.querySelectorAll(blockSelector), (block) => block.textContent);

  // After an update or a reload: the same scroll position, then the first block whose text
  // changed (the paragraph just edited) brought into view if it is not on screen.
  function restore(left, top, oldTexts) {
    window.scrollTo({ left, top, behavior: "instant" });
    const blocks = document.querySelectorAll(blockSelector);
    const index = Array.from(blocks).findIndex((block, i) => block.textContent !== oldTexts[i]);
    const edited = index >= 0 ? blocks[index] : null;
    if (!edited) return;
    const box = edited.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) edited.scrollIntoView({ block: "center" });
  }

  history.scrollRestoration = "manual"; // the browser's own restoring would undo ours
  const savedScroll = sessionStorage.getItem(scrollKey);
  if (savedScroll !== null) {
    const oldTexts = JSON.parse(sessionStorage.getItem(blocksKey) || "[]");
    sessionStorage.removeItem(scrollKey);
    sessionStorage.removeItem(blocksKey);
    const run = () => restore(0, Number(savedScroll), oldTexts);
    if (document.readyState === "complete") run();
    else window.addEventListener("load", run, { once: true });
  }

  // Once a reload is under way, later messages change nothing. A second reload would
  // unload the page twice: a tab told of a restart by the tab holding the stream could,
  // before its own reload took effect, take over the stream as that tab reloaded, and be
  // told again.
  let reloading = false;
  function reload() {
    if (reloading) return;
    reloading = true;
    sessionStorage.setItem(scrollKey, String(window.scrollY));
    sessionStorage.setItem(blocksKey, JSON.stringify(blockTexts()));
    location.reload();
  }

  // Scripts that would have to run again: all but JSON data and this script's own tag.
  const runs = (element) => !/json$/i.test(element.type) && element.src !== script.src;
  const ranBeforeBody = (element) => element.parentElement === document.head && !element.src && element.type !== "module";
  const loads = (node) => node.nodeType === Node.ELEMENT_NODE && !node.matches(metadata);

  // Stylesheet links put in by swapStylesheet → the markup of the link they replaced, as served.
  const served = new WeakMap();
  const servedMarkup = (element) => served.get(element) ?? element.outerHTML;

  function sameHeadResources(fresh) {
    const current = Array.from(document.head.children).filter(loads);
    const incoming = Array.from(fresh.head.children).filter(loads);
    return current.length === incoming.length && current.every((element, i) => servedMarkup(element) === incoming[i].outerHTML);
  }

  // Every script of the page agrees to start over (and each that agrees has stopped).
  function scriptsAgree() {
    const scripts = Array.from(document.scripts).filter((element) => runs(element) && !ranBeforeBody(element));
    return scripts.every((element) => !element.dispatchEvent(new Event("postil:update", { cancelable: true })));
  }

  // The new page's metadata goes where it stands in the new <head>, between the elements
  // that stay.
  function replaceMetadata(fresh) {
    const kept = Array.from(document.head.children).filter(loads);
    for (const node of Array.from(document.head.childNodes)) if (!loads(node)) node.remove();
    let previous = null;
    for (const node of Array.from(fresh.head.childNodes)) {
      if (loads(node)) {
        previous = kept.shift();
        continue;
      }
      const copy = document.adoptNode(node);
      if (previous) previous.after(copy);
      else document.head.prepend(copy);
      previous = copy;
    }
  }

  // Where the focused element stands, to focus the same one on the new page.
  function focusPlace() {
    const focused = document.activeElement;
    if (!focused || focused === document.body || !document.body.contains(focused)) return null;
    if (focused.id) return { id: focused.id };
    const steps = [];
    for (let element = focused; element !== document.body; element = element.parentElement) {
      steps.unshift(Array.prototype.indexOf.call(element.parentElement.children, element));
    }
    return { steps, name: focused.localName };
  }

  function refocus(place) {
    if (!place) return;
    let element = place.id ? document.getElementById(place.id) : document.body;
    for (const step of place.steps ?? []) element = element?.children[step];
    if (element && (place.id || element.localName === place.name)) element.focus({ preventScroll: true });
  }

  async function fetchPage() {
    const response = await fetch(location.href, { cache: "no-store" });
    if (!response.ok || response.redirected || !response.headers.get("Content-Type")?.startsWith("text/html")) return null;
    return new DOMParser().parseFromString(await response.text(), "text/html");
  }

  // The page swapped in place; false when only a reload is safe (nothing changed then).
  async function swapPage() {
    const fresh = await fetchPage();
    if (!fresh || !sameHeadResources(fresh)) return false;
    if (Array.from(fresh.body.querySelectorAll("script")).some(runs)) return false;
    if (!scriptsAgree()) return false;
    const left = window.scrollX;
    const top = window.scrollY;
    const oldTexts = blockTexts();
    const focused = focusPlace();
    const targeted = document.querySelector(":target") !== null;
    const overlay = document.getElementById("postil-error-overlay");
    // With scripting on, <noscript> holds text, as a loaded page has it.
    for (const element of fresh.body.querySelectorAll("noscript")) element.textContent = element.innerHTML;
    replaceMetadata(fresh);
    for (const { name, value } of fresh.documentElement.attributes) {
      if (document.documentElement.getAttribute(name) !== value) document.documentElement.setAttribute(name, value);
    }
    document.documentElement.replaceChild(document.adoptNode(fresh.body), document.body);
    if (overlay) document.body.append(overlay);
    // A fragment navigation to the same URL makes the new element named by the fragment
    // :target again, without a history entry. Its popstate event comes before the page's
    // scripts start again, so they never see it.
    if (targeted) location.replace(location.href);
    document.dispatchEvent(new Event("postil:updated"));
    refocus(focused);
    restore(left, top, oldTexts);
    return true;
  }

  let updating = false;
  let updateAgain = false;

  // One update at a time; a change announced meanwhile fetches the page once more after it.
  async function update() {
    if (updating) {
      updateAgain = true;
      return;
    }
    updating = true;
    try {
      do {
        updateAgain = false;
        if (!(await swapPage())) return reload();
      } while (updateAgain);
    } catch (error) {
      console.error("postil: updating the page in place failed; reloading", error);
      reload();
    } finally {
      updating = false;
    }
  }

  function showError(text) {
    let overlay = document.getElementById("postil-error-overlay");
    if (!text) {
      if (overlay) overlay.remove();
      return;
    }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "postil-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
        "background:rgba(20,20,20,.92);color:#fff;font:14px/1.5 ui-monospace,monospace";
      const title = document.createElement("strong");
      title.textContent = "Build failed; showing the last good build. Fix the file and save.";
      overlay.append(title, document.createElement("pre"));
      document.body.append(overlay);
    }
    const pre = overlay.querySelector("pre");
    pre.replaceChildren(...errorBlocks(text));
  }

  // Messages wrap; a quoted source line and its caret ("    2 | text", "      |   ^") never
  // do, so the caret stays under its column: they scroll sideways together instead.
  function errorBlocks(text) {
    const blocks = [];
    for (const line of text.split("\n")) {
      const source = /^ *\d* \| /.test(line);
      let block = blocks[blocks.length - 1];
      if (!block || block.source !== source) {
        block = { source, element: document.createElement("div") };
        block.element.style.cssText = source ? "white-space:pre;overflow-x:auto;opacity:.85" : "white-space:pre-wrap";
        if (source) block.element.className = "postil-error-source";
        blocks.push(block);
      }
      block.element.textContent += (block.element.textContent ? "\n" : "") + line;
    }
    return blocks.map((block) => block.element);
  }

  function swapStylesheet(link, url, build) {
    const fresh = link.cloneNode();
    fresh.href = url.pathname + "?build=" + build;
    served.set(fresh, servedMarkup(link));
    fresh.addEventListener("load", () => link.remove(), { once: true });
    link.after(fresh);
  }

  function handle(message) {
    if (reloading) return;
    if (message.server !== serverId) return reload(); // the server restarted
    if (message.hello && message.build > seenBuild) return reload(); // builds went by unseen
    showError(message.error);
    if (message.error || message.build <= seenBuild) return;
    seenBuild = message.build;
    const changed = new Set(message.changed);
    let mustReload = false;
    for (const element of document.querySelectorAll("link[href], [src]")) {
      const url = new URL(element.getAttribute(element.hasAttribute("src") ? "src" : "href"), location.href);
      if (url.origin !== location.origin || !changed.has(url.pathname)) continue;
      if (element.localName === "link" && element.rel === "stylesheet") swapStylesheet(element, url, message.build);
      else if (element.localName !== "link") mustReload = true;
    }
    if (mustReload) reload();
    else if (changed.has(location.pathname)) update();
  }

  function listen(channel) {
    const source = new EventSource("/__postil/events");
    source.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (channel) channel.postMessage(message);
      handle(message);
    };
  }

  if ("BroadcastChannel" in window && navigator.locks) {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (event) => handle(event.data);
    navigator.locks.request(name, () => {
      listen(channel);
      return new Promise(() => {}); // hold the lock (and the stream) while this tab lives
    });
  } else {
    listen(null);
  }
})();
