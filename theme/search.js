// The search page: Pagefind's interface, started with the words from ?q= that the
// header's search box sends. The index is split into shards (see postil/search/shards.py):
// the primary bundle and the ones data-merge names are searched as one.
(function () {
  "use strict";
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") return;
  var ui = new PagefindUI({
    element: "#search",
    bundlePath: element.dataset.bundle,
    baseUrl: element.dataset.base,
    showImages: false,
    showSubResults: true,
    autofocus: true,
    mergeIndex: element.dataset.merge.split(" ").filter(Boolean).map(function (path) {
      return { bundlePath: path, baseUrl: element.dataset.base };
    }),
  });
  // Pagefind's field has only a placeholder; give it a name that assistive technology reads.
  var input = element.querySelector("input");
  if (input) input.setAttribute("aria-label", "Search the essays");
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
