// The search page: Pagefind's interface, started with the words from ?q= that the
// header's search box sends. The index is split into shards (see postil/search/shards.py):
// the primary bundle and the others that data-bundles names are searched as one.
//
// This script runs before Pagefind's interface script (both deferred, in that order), so
// that the index loads while the interface is still being read: Pagefind's module is
// imported at once, every shard is merged into it at the same time, and the words from
// ?q= are searched as soon as the last shard is in. The page preloads each bundle's first
// files; Pagefind runs here in the page (not in its web worker, whose own fetches would
// not find them preloaded) and is given each bundle's tag, which names its entry file as
// the page preloaded it.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element) return;
  var base = element.dataset.base;
  var bundles = [];  // [{path, tag}], the primary first
  var words = element.dataset.bundles.split(" ").filter(Boolean);
  for (var i = 0; i + 1 < words.length; i += 2) bundles.push({ path: words[i], tag: words[i + 1] });
  var bundle = bundles[0].path;
  var query = new URLSearchParams(window.location.search).get("q");
  var TYPING_DEBOUNCE_MS = 100;  // Pagefind waits 300 ms after the last key before searching

  // One Pagefind module, shared with the interface (it imports the same file). `init`
  // makes its instance at once with these options, before the interface sets its own.
  // Should loading fail, the interface still starts and says what it could not load.
  var loaded = import(bundle + "pagefind.js").then(function (pagefind) {
    pagefind.options({ baseUrl: base, noWorker: true, metaCacheTag: bundles[0].tag });
    pagefind.init();
    return Promise.all(bundles.slice(1).map(function (merged) {
      return pagefind.mergeIndex(merged.path, { baseUrl: base, metaCacheTag: merged.tag });
    })).then(function () {
      return pagefind;
    });
  });
  // The words from ?q= are searched as soon as every shard is in, and the first results'
  // fragments fetched (the five the interface shows first), while the interface's script
  // may still be being read: Pagefind keeps what it fetched, so the interface's own search
  // of the same words finds it all in memory.
  if (query) {
    loaded.then(function (pagefind) {
      return pagefind.search(query).then(function (found) {
        return Promise.all(found.results.slice(0, 5).map(function (result) { return result.data(); }));
      });
    }).catch(function () {});  // the interface's search says what went wrong
  }

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
