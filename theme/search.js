// Search, from Pagefind's JavaScript API, in two places that share this script: the search
// page's list of results, and a panel of the best results under the header's search box
// on every page. The index is split into shards (see postil/search/shards.py): the primary
// bundle and the others are searched as one.
//
// On the search page this script runs as soon as it arrives, while the page is still being
// parsed and laid out: Pagefind's module is imported at once and every shard merged into it
// at the same time, so that Pagefind's fetching, unpacking and waiting overlap the page's
// own work. The page names the bundles (data-bundles) and preloads each bundle's first
// files; Pagefind runs here in the page (not in its web worker, whose own fetches would not
// find them preloaded) and is given each bundle's tag, which names its entry file as the
// page preloaded it. Elsewhere postil.js adds this script when the header's box is first
// focused, with the address of the list of bundles (data-list), which the search page
// writes beside itself: the script fetches it, preloads the same files and loads Pagefind
// the same way. Results are shown as Pagefind's interface shows them (five at a time, a
// page's matching sections under it), without its script.
(function () {
  "use strict";
  var script = document.currentScript;
  var PAGE_SIZE = 5;  // results shown at a time, on the page and in the panel
  var SECTIONS_SHOWN = 3;  // under each page, its sections with the most matches
  var TYPING_PAUSE_MS = 100;  // Pagefind's interface waits 300 ms after the last key

  var loaded = script.dataset.bundles ? loadPagefind(script.dataset.base, named(script.dataset.bundles)) : loadListed(script.dataset.list);

  // "path tag path tag …" → [{path, tag}], the primary first.
  function named(text) {
    var bundles = [];
    var fields = text.split(" ").filter(Boolean);
    for (var i = 0; i + 1 < fields.length; i += 2) bundles.push({ path: fields[i], tag: fields[i + 1] });
    return bundles;
  }

  // The header's box: the list of bundles, then what the search page preloads, all at once
  // (postil.js asked for Pagefind's module with the list and this script).
  function loadListed(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    }).then(function (list) {
      if (!list.bundles.length) return null;  // no essays yet: every search finds nothing
      if (list.wasm) preload(list.wasm);
      list.bundles.forEach(function (bundle) {
        preload(bundle.path + "pagefind-entry.json?ts=" + bundle.tag);
        preload(bundle.meta);
      });
      return loadPagefind(list.base, list.bundles);
    });
  }

  function preload(url) {
    var link = document.createElement("link");
    link.rel = "preload";
    link.as = "fetch";
    link.crossOrigin = "anonymous";  // as Pagefind's own fetch asks for it, so that it is used
    link.href = url;
    document.body.appendChild(link);  // not <head>: see postil.js on `postil serve`
  }

  function loadPagefind(base, bundles) {
    return import(bundles[0].path + "pagefind.js").then(function (pagefind) {
      pagefind.options({ baseUrl: base, noWorker: true, metaCacheTag: bundles[0].tag });
      pagefind.init();
      var merging = Promise.all(bundles.slice(1).map(function (merged) {
        return pagefind.mergeIndex(merged.path, { baseUrl: base, metaCacheTag: merged.tag });
      }));
      if (window.requestIdleCallback) requestIdleCallback(warmSegmenter);
      else warmSegmenter();
      return merging.then(function () {
        return pagefind;
      });
    });
  }

  // Pagefind splits every search's words with Intl.Segmenter, and a page's first segmenter
  // costs the browser tens of milliseconds to set up (later ones almost nothing). Made
  // when the page is idle while Pagefind waits for its WebAssembly (its merged shards wait
  // for it by polling), that cost is not paid after the words are known, nor in the way
  // of Pagefind's own loading.
  function warmSegmenter() {
    if (typeof Intl.Segmenter !== "function") return;
    try {
      var language = document.documentElement.lang || "en";
      new Intl.Segmenter(language, { granularity: "grapheme" }).segment("a")[Symbol.iterator]().next();
    } catch (error) {}  // an unknown language: Pagefind's own segmenter will say so
  }

  // One place's searches, shown by its `view`: typed words wait for a pause, the words of
  // Enter or of the address (`now`) do not, and the answer to words no longer asked for is
  // dropped. The view is told `start(words)` at once, then `show(results, words, current)`
  // (current() says whether these words are still the last asked for) or `failed()`.
  function searcher(view) {
    var latest = 0;  // the number of the last search asked for
    var term = "";  // the words of the last search asked for
    var settled = "";  // the words whose results are shown
    return function search(words, now) {
      words = words.trim();
      // The same words again are searched only on Enter before their results are shown
      // (typing still waits for its pause then: Enter does not).
      if (words === term && (!now || words === settled)) return;
      term = words;
      var number = ++latest;
      var current = function () { return number === latest; };
      settled = "";
      view.start(words);
      if (!words) return;
      // Typed words wait for the pause counted from the key, not from when Pagefind is
      // ready (a reader may type while it loads); meanwhile their index chunks are fetched.
      var pausing = !now;
      var pause = now ? null : new Promise(function (resolve) {
        setTimeout(function () {
          pausing = false;
          resolve();
        }, TYPING_PAUSE_MS);
      });
      if (pausing) {
        loaded.then(function (pagefind) {
          if (pagefind && pausing && current()) return pagefind.preload(words);
        }).catch(function () {});  // the search itself says so
      }
      Promise.all([loaded, pause]).then(function (ready) {
        if (!current()) return null;
        return ready[0] ? ready[0].search(words) : { results: [] };
      }).then(function (results) {
        if (current() && results) return view.show(results.results, words, current);
      }).then(function () {
        if (current()) settled = words;
      }).catch(function () {
        if (current()) view.failed();
      });
    };
  }

  function counted(count, words) {
    if (count === 0) return "No results for " + words;
    return count + (count === 1 ? " result for " : " results for ") + words;
  }

  var FAILED = "The search index could not be loaded.";

  // Each result's page: its title, excerpt and sections, once its fragment is fetched.
  function fragments(results) {
    return Promise.all(results.map(function (result) { return result.data(); }));
  }

  function link(url, title, kind) {
    var anchor = document.createElement("a");
    anchor.className = kind;
    anchor.href = url;
    anchor.textContent = title;
    return anchor;
  }

  // Pagefind's excerpts are its escaped text with the matched words in <mark>.
  function excerpt(html) {
    var paragraph = document.createElement("p");
    paragraph.className = "search-result-excerpt";
    paragraph.innerHTML = html;
    return paragraph;
  }

  // A page's sections with the most matches, in the page's order; the page's own first
  // "section" (its text before any heading) is shown as the page's excerpt instead.
  function sections(data) {
    var subs = Array.isArray(data.sub_results) ? data.sub_results.slice() : [];
    var page = { excerpt: null, sections: subs };
    if (subs.length && subs[0].url === (data.meta.url || data.url)) {
      page.excerpt = data.excerpt;
      page.sections = subs.slice(1);
    }
    if (page.sections.length > SECTIONS_SHOWN) {
      var best = page.sections.slice().sort(function (a, b) { return b.locations.length - a.locations.length; })
        .slice(0, SECTIONS_SHOWN);
      page.sections = page.sections.filter(function (section) { return best.indexOf(section) !== -1; });
    }
    return page;
  }

  // A result of the search page: the page, and its best sections under it.
  function pageResult(data) {
    var entry = document.createElement("li");
    entry.className = "search-result";
    var title = document.createElement("h2");
    title.className = "search-result-title";
    title.appendChild(link(data.meta.url || data.url, data.meta.title || data.url, "search-result-link"));
    entry.appendChild(title);
    var page = sections(data);
    if (page.excerpt) entry.appendChild(excerpt(page.excerpt));
    if (page.sections.length) {
      var nested = document.createElement("ul");
      nested.className = "search-result-sections";
      page.sections.forEach(function (section) {
        var part = document.createElement("li");
        var heading = document.createElement("h3");
        heading.className = "search-result-title";
        heading.appendChild(link(section.url, section.title, "search-result-link"));
        part.appendChild(heading);
        part.appendChild(excerpt(section.excerpt));
        nested.appendChild(part);
      });
      entry.appendChild(nested);
    }
    return entry;
  }

  // A result of the header's panel: the page's title and its best excerpt.
  function panelResult(data) {
    var entry = document.createElement("li");
    entry.className = "search-panel-result";
    entry.appendChild(link(data.meta.url || data.url, data.meta.title || data.url, "search-panel-link"));
    entry.appendChild(excerpt(data.excerpt));
    return entry;
  }

  // The search page's form, list and status line, once the page is parsed. The words in
  // the address are searched at once; words typed before this script ran (it may arrive
  // after the search box is shown) as though typed now.
  function searchPage(element) {
    var form = element.querySelector(".search-form");
    var input = element.querySelector(".search-input");
    var message = element.querySelector(".search-message");
    var list = element.querySelector(".search-results");
    var more = element.querySelector(".search-more");
    var found = [];  // the results of the search shown
    var asked = 0;  // how many of them are shown or being fetched
    var shownNow = function () { return false; };  // whether they are still the last asked for

    // The next five results, shown together once their fragments are in; the first five of
    // a search replace the last search's, which stay in view until then.
    function showMore() {
      var first = asked === 0;
      var next = found.slice(asked, asked + PAGE_SIZE);
      var current = shownNow;
      asked += next.length;
      return fragments(next).then(function (pages) {
        if (!current()) return;
        if (first) list.textContent = "";
        pages.forEach(function (data) { list.appendChild(pageResult(data)); });
        more.hidden = asked >= found.length;
      });
    }

    var search = searcher({
      start: function (words) {
        found = [];
        asked = 0;
        more.hidden = true;
        if (words) {
          message.textContent = "Searching for " + words + "…";
        } else {
          list.textContent = "";
          message.textContent = "";
        }
      },
      show: function (results, words, current) {
        found = results;
        shownNow = current;
        return showMore().then(function () {
          if (current()) message.textContent = counted(found.length, words);
        });
      },
      failed: failed,
    });

    function failed() {
      list.textContent = "";
      message.textContent = FAILED;
    }

    input.addEventListener("input", function () { search(input.value, false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search(input.value, true);
    });
    more.addEventListener("click", function () {
      var current = shownNow;
      if (asked < found.length) {
        showMore().catch(function () {
          if (current()) failed();
        });
      }
    });
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      input.value = query;
      search(query, true);
    } else if (input.value) {
      search(input.value, false);
    }
  }

  // The header's box: as the reader types, the best results in a panel under it, with a
  // status line that says how many there are and a link to all of them on the search page.
  // Enter still sends the words to the search page (the form is left as it is). ArrowDown
  // and ArrowUp move through the results, Escape closes the panel and keeps the focus in the
  // box; a click or the focus elsewhere closes it too.
  var panelForm = null;  // the header's form the panel is in (a new one after a preview's swap)
  var closePanel = function () {};

  function headerBox(form) {
    var input = form.querySelector("input[type=search]");
    var panel = document.createElement("div");
    panel.className = "search-panel";
    panel.id = "search-panel";
    panel.hidden = true;
    var status = document.createElement("p");
    status.className = "search-panel-status";
    status.setAttribute("role", "status");
    var list = document.createElement("ol");
    list.className = "search-panel-results";
    var all = link(form.getAttribute("action"), "See all results", "search-panel-all");
    all.hidden = true;
    panel.append(status, list, all);
    form.appendChild(panel);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", panel.id);
    input.setAttribute("aria-expanded", "false");
    panelForm = form;

    function open(shown) {
      panel.hidden = !shown;
      input.setAttribute("aria-expanded", String(shown));
    }
    closePanel = function () { open(false); };

    function links() {
      return Array.prototype.slice.call(list.querySelectorAll(".search-panel-link"));
    }

    var search = searcher({
      start: function (words) {
        if (!words) {
          list.textContent = "";
          status.textContent = "";
          open(false);
          return;
        }
        // Opened with "Searching for…" so that the status line is shown (and announced)
        // before the count is written into it.
        status.textContent = "Searching for " + words + "…";
        open(true);
      },
      show: function (results, words, current) {
        return fragments(results.slice(0, PAGE_SIZE)).then(function (pages) {
          if (!current()) return;
          list.textContent = "";
          pages.forEach(function (data) { list.appendChild(panelResult(data)); });
          status.textContent = counted(results.length, words);
          all.href = form.getAttribute("action") + "?" + new URLSearchParams({ q: words });
          all.textContent = results.length > PAGE_SIZE ? "See all " + results.length + " results" : "See all results";
          all.hidden = results.length === 0;
        });
      },
      failed: function () {
        list.textContent = "";
        all.hidden = true;
        status.textContent = FAILED;
      },
    });

    input.addEventListener("input", function () { search(input.value, false); });
    input.addEventListener("focus", function () {
      if (input.value.trim() && status.textContent) open(true);
    });
    form.addEventListener("keydown", function (event) {
      var results = links();
      var at = results.indexOf(document.activeElement);
      if (event.key === "Escape" && !panel.hidden) {
        event.preventDefault();  // a search box's Escape would also clear the words
        input.focus();  // first: the box's focus opens the panel
        open(false);
      } else if (event.key === "ArrowDown" && results.length && at < results.length - 1) {
        event.preventDefault();
        open(true);
        results[at + 1].focus();
      } else if (event.key === "ArrowUp" && at !== -1) {
        event.preventDefault();
        (at === 0 ? input : results[at - 1]).focus();
      }
    });
    // Tab out of the box and its results closes the panel; a click in the panel's own
    // text (which moves the focus nowhere) does not.
    form.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !form.contains(event.relatedTarget)) open(false);
    });
    if (input.value.trim() && document.activeElement === input) search(input.value, false);
  }

  document.addEventListener("pointerdown", function (event) {
    if (panelForm && !panelForm.contains(event.target)) closePanel();
  });

  // The search page's list and the header's panel, once the page is parsed. Parsed is
  // enough: DOMContentLoaded would also wait for the page's deferred scripts (postil.js),
  // which are fetched last, and hold back the search of the address's words.
  function start() {
    var page = document.getElementById("search");
    if (page) searchPage(page);
    attachPanel();
  }

  // The header's box given its panel, unless it has one.
  function attachPanel() {
    var form = document.querySelector(".site-search");
    if (form && !form.querySelector(".search-panel")) headerBox(form);
  }

  if (document.readyState === "loading") document.addEventListener("readystatechange", start, { once: true });
  else start();
  // `postil serve` swaps the body for a new one on save (postil/serve/devserver.js): this
  // script has nothing to undo, and gives the new header's box its panel. Pagefind stays
  // loaded.
  script.addEventListener("postil:update", function (event) { event.preventDefault(); });
  document.addEventListener("postil:updated", attachPanel);
})();
