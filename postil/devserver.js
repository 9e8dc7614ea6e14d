// postil live preview. Injected into pages only while `postil serve` runs.
// One tab (the holder of a Web Lock) keeps the only event stream and passes each message
// to the other tabs over a BroadcastChannel, so many open tabs never use up the browser's
// few connections per host. Without those APIs every tab listens for itself.
(() => {
  "use strict";
  const script = document.currentScript;
  const serverId = script.dataset.server;
  let seenBuild = Number(script.dataset.build);
  const name = "postil-live-preview";
  const scrollKey = "postil-scroll:" + location.pathname;
  const blocksKey = "postil-blocks:" + location.pathname;
  const blockSelector = "main :is(p, li, h1, h2, h3, h4, h5, h6, pre, blockquote, td, dt, dd, figcaption)";

  const blockTexts = () => Array.from(document.querySelectorAll(blockSelector), (block) => block.textContent);

  // After a reload: the same scroll position, then the first block whose text changed
  // (the paragraph just edited) brought into view if it is not on screen.
  function restore(scrollY, oldTexts) {
    window.scrollTo(0, scrollY);
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
    const run = () => restore(Number(savedScroll), oldTexts);
    if (document.readyState === "complete") run();
    else window.addEventListener("load", run, { once: true });
  }

  function reload() {
    sessionStorage.setItem(scrollKey, String(window.scrollY));
    sessionStorage.setItem(blocksKey, JSON.stringify(blockTexts()));
    location.reload();
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
    pre.style.whiteSpace = "pre-wrap";
    pre.textContent = text;
  }

  function swapStylesheet(link, url, build) {
    const fresh = link.cloneNode();
    fresh.href = url.pathname + "?build=" + build;
    fresh.addEventListener("load", () => link.remove(), { once: true });
    link.after(fresh);
  }

  function handle(message) {
    if (message.server !== serverId) return reload(); // the server restarted
    if (message.hello && message.build > seenBuild) return reload(); // builds went by unseen
    showError(message.error);
    if (message.error || message.build <= seenBuild) return;
    seenBuild = message.build;
    const changed = new Set(message.changed);
    if (changed.has(location.pathname)) return reload();
    let mustReload = false;
    for (const element of document.querySelectorAll("link[href], [src]")) {
      const url = new URL(element.getAttribute(element.hasAttribute("src") ? "src" : "href"), location.href);
      if (url.origin !== location.origin || !changed.has(url.pathname)) continue;
      if (element.localName === "link" && element.rel === "stylesheet") swapStylesheet(element, url, message.build);
      else if (element.localName !== "link") mustReload = true;
    }
    if (mustReload) reload();
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
