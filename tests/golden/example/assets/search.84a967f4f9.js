// The search page: Pagefind's interface, started with the words from ?q= that the
// header's search box sends. The index is split into shards (see postil/search/shards.py):
// the primary bundle and the ones data-merge names are searched as one.
//
// This script runs before Pagefind's interface script (both deferred, in that order), so
// that the index loads while the interface is still being read: Pagefind's module is
// imported at once (the page preloads it), every shard is merged into it at the same time,
// and the words from ?q= are searched as soon as the last shard is in.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element) return;
  var base = element.dataset.base;
  var bundle = element.dataset.bundle;
  var merged = element.dataset.merge.split(" ").filter(Boolean);
  var query = new URLSearchParams(window.location.search).get("q");
  var TYPING_DEBOUNCE_MS = 100;  // Pagefind waits 300 ms after the last key before searching

  // One Pagefind module, shared with the interface (it imports the same file); Pagefind
  // loads and searches the index in its web worker, beside the page's own work.
  // Should loading fail, the interface still starts and says what it could not load.
  var loaded = import(bundle + "pagefind.js").then(function (pagefind) {
    return pagefind.options({ baseUrl: base }).then(function () {
      return Promise.all(merged.map(function (path) {
        return pagefind.mergeIndex(path, { baseUrl: base });
      }));
    });
  });

  function start() {
    if (typeof PagefindUI === "undefined") return;
    // The words from ?q= are searched at once; typing waits for a pause, as usual.
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: bundle,
      baseUrl: base,
      showImages: false,
      showSubResults: true,
      autofocus: true,
      debounceTimeoutMs: query ? 0 : TYPING_DEBOUNCE_MS,
    });
    // Pagefind's field has only a placeholder; give it a name that assistive technology reads.
    var input = element.querySelector("input");
    if (input) input.setAttribute("aria-label", "Search the essays");
    if (!query) return;
    // Only once every shard is in, so that no search runs on part of the index.
    function search() {
      ui.triggerSearch(query);
      // The interface takes the new words on its next update (a microtask), unhurried;
      // then typing is debounced again (`$$set` is how its own triggerSearch sets a prop).
      Promise.resolve().then(function () {
        if (ui._pfs && ui._pfs.$$set) ui._pfs.$$set({ debounce_timeout_ms: TYPING_DEBOUNCE_MS });
      });
    }
    loaded.then(search, search);
  }

  // Pagefind's interface script comes after this one: it has run by DOMContentLoaded.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
