/* postil's reading enhancements: the theme toggle, sidenotes, footnote popovers and
   previews of links to other essays. Everything here is progressive: without it the
   page follows the OS theme and footnotes work as plain links both ways. */
(function () {
  "use strict";

  var root = document.documentElement;
  var WIDE = window.matchMedia("screen and (min-width: 78rem)");
  var HOVER_DELAY = 120;
  var HIDE_DELAY = 250;

  /* What this page attached outside its body (to window, document, media queries,
     observers), undone by stop() when `postil serve` swaps the body for a new one. */
  var cleanups = [];

  function listen(target, type, handler) {
    target.addEventListener(type, handler);
    cleanups.push(function () { target.removeEventListener(type, handler); });
  }

  function observe(observer, elements) {
    elements.forEach(function (element) { observer.observe(element); });
    cleanups.push(function () { observer.disconnect(); });
  }

  /* Theme: auto (no data-theme, CSS follows the OS) → light → dark → auto. The inline
     script in <head> has already applied a stored choice before first paint. */
  var THEME_KEY = "theme";
  var THEME_ORDER = ["auto", "light", "dark"];
  var osDark = window.matchMedia("(prefers-color-scheme: dark)");

  function storedTheme() {
    try {
      var value = localStorage.getItem(THEME_KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (error) {
      return "auto";
    }
  }

  function setTheme(state, persist) {
    if (state === "auto") delete root.dataset.theme;
    else root.dataset.theme = state;
    if (persist) {
      try {
        if (state === "auto") localStorage.removeItem(THEME_KEY);
        else localStorage.setItem(THEME_KEY, state);
      } catch (error) { /* private mode: the choice lasts for this page only */ }
    }
    labelToggle(state);
  }

  function labelToggle(state) {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    var shown = state === "auto" ? (osDark.matches ? "dark" : "light") : state;
    button.dataset.state = state;
    button.querySelector(".theme-toggle-label").textContent =
      "Theme: " + state + (state === "auto" ? " (" + shown + ")" : "");
    button.title = "Change theme (auto follows your system setting)";
  }

  function initTheme() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var next = THEME_ORDER[(THEME_ORDER.indexOf(button.dataset.state) + 1) % THEME_ORDER.length];
      setTheme(next, true);
    });
    listen(osDark, "change", function () { labelToggle(storedTheme()); });
    listen(window, "storage", function (event) {
      if (event.key === THEME_KEY || event.key === null) setTheme(storedTheme(), false);
    });
    labelToggle(storedTheme());
  }

  /* Footnote content without its back-link, as inline-safe spans. */
  function noteContent(item) {
    var fragment = document.createDocumentFragment();
    Array.prototype.forEach.call(item.childNodes, function (node) {
      var copy = node.cloneNode(true);
      if (copy.nodeType === 1) {
        copy.querySelectorAll(".footnote-backref").forEach(function (link) { link.remove(); });
        copy.querySelectorAll("[id]").forEach(function (element) { element.removeAttribute("id"); });
        if (copy.tagName === "P") {
          var paragraph = document.createElement("span");
          paragraph.className = "sidenote-paragraph";
          while (copy.firstChild) paragraph.appendChild(copy.firstChild);
          copy = paragraph;
        }
      } else if (copy.nodeType === 3 && !copy.textContent.trim()) {
        return;
      }
      fragment.appendChild(copy);
    });
    return fragment;
  }

  function footnoteFor(link) {
    var id = decodeURIComponent(link.hash.slice(1));
    return id ? document.getElementById(id) : null;
  }

  /* Sidenotes: each essay footnote is copied into a span right after its reference;
     CSS shows it in the margin when the screen is wide. The margin also holds the side
     comments (replies beside the passage they quote), and layoutMargin() places both. */
  var sidenotes = [];
  /* Each essay body has a margin of its own; a page of quick takes has one per take. */
  var margins = [];

  function buildSidenotes(essayBody) {
    var own = [];
    var section = essayBody.querySelector(":scope > .footnotes, :scope > .take-more > .footnotes");
    if (!section) return own;
    essayBody.querySelectorAll("a[role=doc-noteref]").forEach(function (link) {
      if (link.closest(".footnotes")) return;
      var item = footnoteFor(link);
      if (!item || !section.contains(item)) return;
      var note = document.createElement("span");
      note.className = "sidenote";
      note.setAttribute("role", "note");
      note.setAttribute("aria-label", "Footnote " + link.textContent);
      note.tabIndex = -1;
      var number = document.createElement("span");
      number.className = "sidenote-number";
      number.textContent = link.textContent;
      note.appendChild(noteContent(item));
      var first = note.firstElementChild;
      if (first && first.className === "sidenote-paragraph") first.prepend(number);
      else note.prepend(number);
      link.parentNode.after(note);
      link.dataset.sidenote = String(sidenotes.length);
      sidenotes.push({ link: link, note: note });
      own.push(sidenotes[sidenotes.length - 1]);
    });
    if (own.length) essayBody.classList.add("has-sidenotes");
    return own;
  }

  /* The margin's priorities: a footnote sits level with its reference, or just below the
     note before it, and nothing else moves it. Side comments then take the room that is
     left: level with their passage if they fit there, else shrunk to a one-line marker
     that goes level with the passage or to the first free place below. Nothing overlaps. */
  var GAP = 12;

  /* What layoutMargin() needs of an element, read before anything is moved, so that the
     page is laid out once for all the reading rather than once per note. */
  function measure(element, anchor, essayBody) {
    return {
      element: element, anchor: anchor, height: element.offsetHeight,
      origin: (element.offsetParent || essayBody).getBoundingClientRect().top,
    };
  }

  function layoutMargin() {
    margins.forEach(layoutOneMargin);
  }

  /* Whether an element is laid out: not inside a fold still hidden (a long take's rest). */
  function shown(element) {
    return element.getClientRects().length > 0;
  }

  function layoutOneMargin(margin) {
    var essayBody = margin.body;
    margin.sideComments.forEach(function (aside) {
      aside.classList.remove("is-compact");
      aside.style.top = "";
    });
    if (!WIDE.matches) {
      margin.sidenotes.forEach(function (pair) { pair.note.style.top = ""; });
      return;
    }
    essayBody.classList.add("has-margin-layout");
    // Viewport coordinates throughout: a note's offset parent may be a passage wrapper.
    var notes = margin.sidenotes.filter(function (pair) { return shown(pair.link); }).map(function (pair) {
      return measure(pair.note, pair.link.getBoundingClientRect().top, essayBody);
    });
    var comments = margin.sideComments.filter(shown).map(function (aside) {
      var passage = aside.parentNode.getBoundingClientRect();
      var item = measure(aside, passage.top, essayBody);
      // Beside the passage means starting above its last line.
      item.besideUntil = Math.max(passage.top, passage.bottom - 1.5 * parseFloat(getComputedStyle(aside.parentNode).lineHeight || 0));
      return item;
    });
    var taken = [];
    function clash(top, height) {
      return taken.filter(function (box) { return top < box.bottom + GAP && top + height + GAP > box.top; })[0];
    }
    function freeFrom(top, height) {
      for (var box = clash(top, height); box; box = clash(top, height)) top = box.bottom + GAP;
      return top;
    }
    function take(item, top) {
      item.top = top;
      taken.push({ top: top, bottom: top + item.height });
    }
    var floor = -Infinity;
    notes.forEach(function (note) {
      take(note, Math.max(note.anchor, floor));
      floor = note.top + note.height + GAP;
    });
    comments.forEach(function (comment) {
      var top = freeFrom(comment.anchor, comment.height);
      if (top > comment.besideUntil) {
        comment.element.classList.add("is-compact");
        comment.height = comment.element.offsetHeight;
        top = freeFrom(comment.anchor, comment.height);
      }
      take(comment, top);
    });
    notes.concat(comments).forEach(function (item) {
      item.element.style.top = Math.round(item.top - item.origin) + "px";
    });
  }

  var layoutPending = false;
  function scheduleLayout() {
    if (layoutPending) return;
    layoutPending = true;
    window.requestAnimationFrame(function () {
      layoutPending = false;
      layoutMargin();
    });
  }

  function showSidenote(link) {
    var note = sidenotes[Number(link.dataset.sidenote)].note;
    note.classList.add("is-highlighted");
    note.focus({ preventScroll: true });
    note.scrollIntoView({ block: "nearest" });
    window.setTimeout(function () { note.classList.remove("is-highlighted"); }, 1600);
  }

  /* One popover at a time, for a footnote or a link preview. */
  var popover = null;
  var popoverOwner = null;
  var hideTimer = 0;
  var showTimer = 0;

  function closePopover(returnFocus) {
    window.clearTimeout(hideTimer);
    window.clearTimeout(showTimer);
    if (!popover) return;
    var owner = popoverOwner;
    popover.remove();
    owner.removeAttribute("aria-describedby");
    owner.removeAttribute("aria-expanded");
    popover = null;
    popoverOwner = null;
    if (returnFocus) owner.focus();
  }

  function openPopover(owner, content, kind) {
    if (popoverOwner === owner) return;
    closePopover(false);
    popover = document.createElement("div");
    popover.className = "popover popover-" + kind;
    popover.id = "postil-popover";
    popover.setAttribute("role", "tooltip");
    popover.appendChild(content);
    popover.addEventListener("pointerenter", function () { window.clearTimeout(hideTimer); });
    popover.addEventListener("pointerleave", function () { hideSoon(); });
    // Inside <main>, so the popover is part of a landmark; main is not positioned, so
    // the popover's coordinates are the document's.
    (document.querySelector("main") || document.body).appendChild(popover);
    popoverOwner = owner;
    owner.setAttribute("aria-describedby", popover.id);
    if (kind === "footnote") owner.setAttribute("aria-expanded", "true");
    placePopover(owner);
  }

  function placePopover(owner) {
    var anchor = owner.getBoundingClientRect();
    var width = popover.offsetWidth;
    var viewport = document.documentElement.clientWidth;
    var left = Math.min(Math.max(8, anchor.left + anchor.width / 2 - width / 2), viewport - width - 8);
    var top = anchor.bottom + 8;
    if (top + popover.offsetHeight > window.innerHeight && anchor.top - popover.offsetHeight - 8 > 0) {
      top = anchor.top - popover.offsetHeight - 8;
    }
    popover.style.left = Math.round(left + window.scrollX) + "px";
    popover.style.top = Math.round(top + window.scrollY) + "px";
  }

  function hideSoon() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () { closePopover(false); }, HIDE_DELAY);
  }

  function onHover(element, open) {
    element.addEventListener("pointerenter", function (event) {
      if (event.pointerType !== "mouse") return;
      window.clearTimeout(hideTimer);
      window.clearTimeout(showTimer);
      showTimer = window.setTimeout(open, HOVER_DELAY);
    });
    element.addEventListener("pointerleave", function (event) {
      if (event.pointerType !== "mouse") return;
      window.clearTimeout(showTimer);
      if (popoverOwner === element) hideSoon();
    });
    element.addEventListener("focus", open);
    element.addEventListener("blur", function () { if (popoverOwner === element) hideSoon(); });
  }

  function usesSidenote(link) {
    return link.dataset.sidenote !== undefined && WIDE.matches;
  }

  function initFootnoteLinks() {
    document.querySelectorAll("a[role=doc-noteref]").forEach(function (link) {
      var item = footnoteFor(link);
      if (!item) return;
      var open = function () {
        if (!usesSidenote(link)) openPopover(link, noteContent(item), "footnote");
      };
      onHover(link, open);
      link.addEventListener("click", function (event) {
        if (usesSidenote(link)) {
          event.preventDefault();
          showSidenote(link);
          return;
        }
        // A keyboard "click" (detail 0) follows the link to the note at the end;
        // a tap or mouse click opens the note in place instead.
        if (event.detail === 0) return;
        event.preventDefault();
        open();
      });
    });
  }

  /* Previews of links to other essays, from the small index the build writes. */
  var previewIndex = null;

  function loadPreviews(url) {
    if (!previewIndex) {
      previewIndex = fetch(url, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : {}; })
        .catch(function () { return {}; });
    }
    return previewIndex;
  }

  function previewContent(entry) {
    var fragment = document.createDocumentFragment();
    var title = document.createElement("span");
    title.className = "popover-title";
    title.textContent = entry.title;
    fragment.appendChild(title);
    if (entry.summary) {
      var summary = document.createElement("span");
      summary.textContent = entry.summary;
      fragment.appendChild(summary);
    }
    return fragment;
  }

  function initPreviews(url) {
    if (!url) return;
    document.querySelectorAll("main a[href]").forEach(function (link) {
      if (link.getAttribute("role") === "doc-noteref" || link.origin !== location.origin) return;
      if (link.pathname === location.pathname || link.closest(".site-header, .toc, .footnote-backref")) return;
      onHover(link, function () {
        loadPreviews(url).then(function (index) {
          var entry = index[link.pathname];
          if (entry && (link.matches(":hover") || link === document.activeElement)) {
            openPopover(link, previewContent(entry), "preview");
          }
        });
      });
    });
  }

  /* The table of contents marks the section being read. */
  function initTocTracking() {
    var links = document.querySelectorAll(".toc a[href^='#']");
    if (!links.length || !window.IntersectionObserver) return;
    var byId = {};
    links.forEach(function (link) { byId[decodeURIComponent(link.hash.slice(1))] = link; });
    var headings = Array.prototype.filter.call(document.querySelectorAll(".essay-body [id]"), function (element) {
      return byId[element.id];
    });
    function update() {
      var current = null;
      headings.forEach(function (heading) {
        if (heading.getBoundingClientRect().top < window.innerHeight / 3) current = heading;
      });
      links.forEach(function (link) { link.removeAttribute("aria-current"); });
      if (current) byId[current.id].setAttribute("aria-current", "location");
    }
    var observer = new IntersectionObserver(update, { rootMargin: "0px 0px -66% 0px" });
    observe(observer, headings);
  }

  /* The header's search box: search.js, fetched on the box's first focus (so that pages
     read without searching fetch nothing of it), shows the best results under the box as
     the reader types. It is added once per page, to the body (a script added to <head>
     would make `postil serve` reload the page rather than swap its body); it keeps running
     when the body is swapped, and gives the new box its panel itself. The search page has
     it already. */
  var searchAdded = false;

  function initSearchBox() {
    var form = document.querySelector(".site-search[data-script]");
    if (!form) return;
    form.addEventListener("focusin", function () {
      if (searchAdded || document.querySelector("script[src='" + form.dataset.script + "']")) return;
      searchAdded = true;
      // The list of the index's bundles and Pagefind's module are fetched while search.js is.
      var list = document.createElement("link");
      list.rel = "preload";
      list.as = "fetch";
      list.crossOrigin = "anonymous";
      list.href = form.dataset.list;
      var module = document.createElement("link");
      module.rel = "modulepreload";
      module.href = form.dataset.module;
      var search = document.createElement("script");
      search.src = form.dataset.script;
      search.dataset.list = form.dataset.list;
      document.body.append(list, module, search);
    });
  }

  function initDismissal() {
    listen(document, "keydown", function (event) {
      if (event.key === "Escape" && popover) closePopover(true);
    });
    listen(document, "pointerdown", function (event) {
      if (popover && !popover.contains(event.target) && !popoverOwner.contains(event.target)) closePopover(false);
    });
    listen(window, "resize", function () { closePopover(false); });
  }

  var script = document.currentScript;

  function start() {
    sidenotes = [];
    margins = Array.prototype.map.call(document.querySelectorAll(".essay-body"), function (essayBody) {
      return {
        body: essayBody,
        sidenotes: buildSidenotes(essayBody),
        sideComments: Array.prototype.slice.call(essayBody.querySelectorAll(".passage-with-comments > .side-comments")),
      };
    });
    previewIndex = null;  // previews.json may have changed with the page
    initTheme();
    initFootnoteLinks();
    initPreviews(script && script.dataset.previews);
    initDismissal();
    initTocTracking();
    initSearchBox();
    var bodies = margins.filter(function (margin) { return margin.sidenotes.length || margin.sideComments.length; });
    if (bodies.length) {
      layoutMargin();
      listen(window, "resize", scheduleLayout);
      listen(WIDE, "change", scheduleLayout);
      listen(window, "load", scheduleLayout);
      if (document.fonts) document.fonts.ready.then(scheduleLayout);
      if (window.ResizeObserver) observe(new ResizeObserver(scheduleLayout), bodies.map(function (margin) { return margin.body; }));
    }
  }

  function stop() {
    closePopover(false);
    cleanups.splice(0).forEach(function (undo) { undo(); });
  }

  start();
  /* `postil serve` replaces the body in place when the page is saved (postil/devserver.js):
     agree, stop, and start again on the new body. */
  if (script) {
    script.addEventListener("postil:update", function (event) {
      event.preventDefault();
      stop();
    });
    document.addEventListener("postil:updated", start);
  }
})();
