// The search page: Pagefind's interface, started with the words from ?q= that the
// header's search box sends. The index is split into shards (see postil/search/shards.py):
// the primary bundle and the ones data-merge names are searched as one.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") return;
  var base = element.dataset.base;
  var merged = element.dataset.merge.split(" ").filter(Boolean);

  // Pagefind's interface merges bundles one after another, two requests each in turn.
  // Merged here all at once into the same Pagefind module (its instance is shared with
  // the interface, which imports the same file), and the interface started once all are in,
  // so that no search runs on part of the index.
  function merge() {
    return import(element.dataset.bundle + "pagefind.js").then(function (pagefind) {
      return pagefind.options({ baseUrl: base }).then(function () {
        return Promise.all(merged.map(function (path) {
          return pagefind.mergeIndex(path, { baseUrl: base });
        }));
      });
    });
  }

  function start() {
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: element.dataset.bundle,
      baseUrl: base,
      showImages: false,
      showSubResults: true,
      autofocus: true,
      debounceTimeoutMs: 100,  // Pagefind waits 300 ms after the last key before searching
    });
    // Pagefind's field has only a placeholder; give it a name that assistive technology reads.
    var input = element.querySelector("input");
    if (input) input.setAttribute("aria-label", "Search the essays");
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) ui.triggerSearch(query);
  }

  // Should merging fail, the interface still starts and says what it could not load.
  (merged.length ? merge() : Promise.resolve()).then(start, start);
})();
