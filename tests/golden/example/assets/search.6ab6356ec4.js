// The search page: Pagefind's interface, started with the words from ?q= that the
// header's search box sends.
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
  });
  // Pagefind's field has only a placeholder; give it a name that assistive technology reads.
  var input = element.querySelector("input");
  if (input) input.setAttribute("aria-label", "Search the essays");
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
