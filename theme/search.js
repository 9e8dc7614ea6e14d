// The search page: a list of results of our own, from Pagefind's JavaScript API. The
// index is split into shards (see postil/search/shards.py): the primary bundle and the
// others that data-bundles names are searched as one.
//
// This script runs as soon as it arrives, while the page is still being parsed and laid
// out: Pagefind's module is imported at once and every shard merged into it at the same
// time, so that Pagefind's fetching, unpacking and waiting overlap the page's own work. The
// page preloads each bundle's first files; Pagefind runs here in the page (not in its web
// worker, whose own fetches would not find them preloaded) and is given each bundle's tag,
// which names its entry file as the page preloaded it. The form is wired up once the page
// is parsed. Results are shown as Pagefind's interface shows them (five at a time, a page's
// matching sections under it), without its script.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script.dataset.base;
  var bundles = [];  // [{path, tag}], the primary first
  var fields = script.dataset.bundles.split(" ").filter(Boolean);
  for (var i = 0; i + 1 < fields.length; i += 2) bundles.push({ path: fields[i], tag: fields[i + 1] });
  var form, input, message, list, more;  // the page's, once it is parsed (searchPage)
  var PAGE_SIZE = 5;
  var SECTIONS_SHOWN = 3;  // under each page, its sections with the most matches
  var TYPING_PAUSE_MS = 100;  // Pagefind's interface waits 300 ms after the last key

  var loaded = import(bundles[0].path + "pagefind.js").then(function (pagefind) {
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

  var latest = 0;  // the number of the last search asked for: an older one's answer is dropped
  var found = [];  // the results of the search shown
  var term = "";  // the words of the last search asked for
  var settled = "";  // the words whose results are shown

  function say(text) {
    message.textContent = text;
  }

  function counted(count, words) {
    if (count === 0) return "No results for " + words;
    return count + (count === 1 ? " result for " : " results for ") + words;
  }

  function link(url, title) {
    var anchor = document.createElement("a");
    anchor.className = "search-result-link";
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

  function item(data) {
    var entry = document.createElement("li");
    entry.className = "search-result";
    var title = document.createElement("h2");
    title.className = "search-result-title";
    title.appendChild(link(data.meta.url || data.url, data.meta.title || data.url));
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
        heading.appendChild(link(section.url, section.title));
        part.appendChild(heading);
        part.appendChild(excerpt(section.excerpt));
        nested.appendChild(part);
      });
      entry.appendChild(nested);
    }
    return entry;
  }

  // The next five results, shown together once their fragments are in; the first five of
  // a search replace the last search's, which stay in view until then.
  var asked = 0;  // how many results of this search are shown or being fetched
  function showMore(search) {
    var first = asked === 0;
    var next = found.slice(asked, asked + PAGE_SIZE);
    asked += next.length;
    return Promise.all(next.map(function (result) { return result.data(); })).then(function (pages) {
      if (search !== latest) return;
      if (first) list.textContent = "";
      pages.forEach(function (data) { list.appendChild(item(data)); });
      more.hidden = asked >= found.length;
    });
  }

  function show(search, words, results) {
    if (search !== latest || !results) return;  // a later search was asked for
    found = results.results;
    return showMore(search).then(function () {
      if (search !== latest) return;
      settled = words;
      say(counted(found.length, words));
    });
  }

  function failed(search) {
    if (search !== latest) return;
    list.textContent = "";
    say("The search index could not be loaded.");
  }

  // `now`: the words from ?q= or Enter, searched at once; typing waits for a pause.
  function search(words, now) {
    words = words.trim();
    // The same words again are searched only on Enter before their results are shown
    // (typing still waits for its pause then: Enter does not).
    if (words === term && (!now || words === settled)) return;
    term = words;
    var number = ++latest;
    found = [];
    asked = 0;
    settled = "";
    more.hidden = true;
    if (!words) {
      list.textContent = "";
      say("");
      return;
    }
    say("Searching for " + words + "…");
    // Typed words wait for the pause counted from the key, not from when Pagefind is ready
    // (a reader may type while it loads); meanwhile their index chunks are fetched.
    var pausing = !now;
    var pause = now ? null : new Promise(function (resolve) {
      setTimeout(function () {
        pausing = false;
        resolve();
      }, TYPING_PAUSE_MS);
    });
    if (pausing) {
      loaded.then(function (pagefind) {
        if (pausing && number === latest) return pagefind.preload(words);
      }).catch(function () {});  // the search itself says so
    }
    Promise.all([loaded, pause]).then(function (ready) {
      return number === latest ? ready[0].search(words) : null;
    }).then(function (results) {
      return show(number, words, results);
    }).catch(function () {
      failed(number);
    });
  }

  // The page's form, list and status line, once the page is parsed. The words in the
  // address are searched at once; words typed before this script ran (it may arrive after
  // the search box is shown) as though typed now.
  function searchPage() {
    var element = document.getElementById("search");
    form = element.querySelector(".search-form");
    input = element.querySelector(".search-input");
    message = element.querySelector(".search-message");
    list = element.querySelector(".search-results");
    more = element.querySelector(".search-more");
    input.addEventListener("input", function () { search(input.value, false); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      search(input.value, true);
    });
    more.addEventListener("click", function () {
      if (asked < found.length) showMore(latest).catch(function () { failed(latest); });
    });
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      input.value = query;
      search(query, true);
    } else if (input.value) {
      search(input.value, false);
    }
  }

  // Parsed is enough: DOMContentLoaded would also wait for the page's deferred scripts
  // (postil.js), which are fetched last, and hold back the search of the address's words.
  if (document.readyState === "loading") document.addEventListener("readystatechange", searchPage, { once: true });
  else searchPage();
})();
