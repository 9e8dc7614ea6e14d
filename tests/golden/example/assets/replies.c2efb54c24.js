// Reply threads: sort by top / new / old, mark replies newer than a chosen moment (by
// default the reader's previous visit to this page, remembered in localStorage), and fold
// the answers of a closed flat reply.
(function () {
  "use strict";
  var script = document.currentScript;
  var visit = null;  // this page load's visit: the preview's in-place updates keep it

  var DAY = 24 * 60 * 60 * 1000;

  function readVisit(storageKey) {
    try { return Number(localStorage.getItem(storageKey)) || 0; } catch (error) { return 0; }
  }
  function rememberVisit(storageKey, now) {
    try { localStorage.setItem(storageKey, String(now)); } catch (error) { /* private mode: nothing to remember */ }
  }

  // A page may hold several threads (the quick takes stream has one per take): each gets
  // its own controls; the visit they highlight from is the page's.
  function start() {
    var sections = document.querySelectorAll(".replies");
    if (!sections.length) return;
    if (!visit) {
      var storageKey = "postil:last-visit:" + location.pathname;
      visit = { previous: readVisit(storageKey), now: Date.now() };
      rememberVisit(storageKey, visit.now);
    }
    sections.forEach(startThread);
  }

  function startThread(section) {
    function replyTime(reply) { return Date.parse(reply.getAttribute("data-date")) || 0; }
    function replyScore(reply) { return Number(reply.getAttribute("data-score")) || 0; }
    function containers() {
      return [section.querySelector(".reply-list")].concat(Array.prototype.slice.call(section.querySelectorAll(".reply-children")));
    }

    var orders = {
      old: function (a, b) { return replyTime(a) - replyTime(b); },
      new: function (a, b) { return replyTime(b) - replyTime(a); },
      top: function (a, b) { return replyScore(b) - replyScore(a) || replyTime(a) - replyTime(b); }
    };
    function sortReplies(order) {
      containers().forEach(function (container) {
        if (container) sortThreadIn(container, orders[order] || orders.old);
      });
    }

    var controls = section.querySelector(".replies-controls");
    if (!controls) {  // a thread of one in the takes stream has nothing to sort
      foldFlatReplies(section);
      return;
    }
    var status = document.createElement("span");
    status.className = "replies-new-count";
    status.setAttribute("role", "status");
    controls.appendChild(status);
    function highlightSince(since) {
      var count = 0;
      section.querySelectorAll(".reply").forEach(function (reply) {
        var fresh = since > 0 && replyTime(reply) > since;
        reply.classList.toggle("reply-new", fresh);
        if (fresh) count += 1;
      });
      status.textContent = since > 0 ? (count ? count + " new" : "none new") : "";
    }

    var previousVisit = visit.previous;
    var now = visit.now;

    // A first visit has no last visit to offer; then nothing is highlighted until the reader asks.
    var since = section.querySelector(".replies-since");
    var choices = [["day", "a day ago"], ["week", "a week ago"], ["month", "a month ago"], ["none", "no highlight"]];
    if (previousVisit) {
      var when = new Date(previousVisit).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      choices.unshift(["visit", "your last visit, " + when]);
    }
    since.textContent = "";
    choices.forEach(function (choice) {
      var option = document.createElement("option");
      option.value = choice[0];
      option.textContent = choice[1];
      since.appendChild(option);
    });
    since.value = previousVisit ? "visit" : "none";
    function sinceValue(choice) {
      return { visit: previousVisit, day: now - DAY, week: now - 7 * DAY, month: now - 30 * DAY, none: 0 }[choice] || 0;
    }
    since.addEventListener("change", function () { highlightSince(sinceValue(since.value)); });

    var sort = section.querySelector(".replies-sort");
    sort.addEventListener("change", function () { sortReplies(sort.value); });

    foldFlatReplies(section);
    controls.hidden = false;
    highlightSince(previousVisit);
  }

  function depthOf(reply) { return Number(reply.getAttribute("data-depth")) || 0; }

  // Past the depth the markup nests to, replies follow their parent flat, in reading order,
  // as siblings. Sorting a container rebuilds their tree from the depths, sorts every level
  // and puts it back in reading order, with a stack: a thread may be thousands deep.
  function sortThreadIn(container, compare) {
    var roots = [], open = [], before = [];
    Array.prototype.forEach.call(container.children, function (child) {
      if (!child.classList.contains("reply")) return;
      before.push(child);
      var node = { reply: child, depth: depthOf(child), answers: [] };
      while (open.length && open[open.length - 1].depth >= node.depth) open.pop();
      (open.length ? open[open.length - 1].answers : roots).push(node);
      open.push(node);
    });
    function byReply(a, b) { return compare(a.reply, b.reply); }
    var pending = roots.sort(byReply).reverse(), ordered = [];
    while (pending.length) {
      var node = pending.pop();
      ordered.push(node.reply);
      node.answers.sort(byReply);
      for (var i = node.answers.length - 1; i >= 0; i--) pending.push(node.answers[i]);
    }
    // Moving thousands of elements costs a layout each time: leave an unchanged order alone.
    if (ordered.every(function (reply, index) { return reply === before[index]; })) return;
    var fragment = document.createDocumentFragment();
    ordered.forEach(function (reply) { fragment.appendChild(reply); });
    container.appendChild(fragment);
  }

  // Closing a reply hides its answers; a flat reply's answers are the deeper siblings after
  // it, so closing it hides them here (until found: find-in-page and links still reach them).
  function foldFlatReplies(section) {
    section.classList.add("replies-scripted");
    section.addEventListener("toggle", function (event) {
      var reply = event.target;
      if (!reply.classList || !reply.classList.contains("reply-flat")) return;
      // Every open reply reports a toggle as the page loads: only a change needs work.
      if (reply.open === !reply.hasAttribute("data-folded")) return;
      reply.toggleAttribute("data-folded", !reply.open);
      showAnswersOf(reply);
    }, true);
    section.addEventListener("beforematch", function (event) { openFlatAncestorsOf(event.target); }, true);
  }

  function showAnswersOf(reply) {
    var depth = depthOf(reply), closedAt = Infinity;
    for (var next = reply.nextElementSibling; next && depthOf(next) > depth; next = next.nextElementSibling) {
      var own = depthOf(next);
      if (own <= closedAt) closedAt = Infinity;  // out of the closed answer's own answers
      if (reply.open && closedAt === Infinity) {
        next.removeAttribute("hidden");
        if (!next.open) closedAt = own;
      } else {
        next.setAttribute("hidden", "until-found");
      }
    }
  }

  function openFlatAncestorsOf(reply) {
    var depth = depthOf(reply);
    for (var before = reply.previousElementSibling; before && before.classList.contains("reply-flat"); before = before.previousElementSibling) {
      if (depthOf(before) < depth) {
        depth = depthOf(before);
        before.open = true;
      }
    }
  }

  start();
  // `postil serve` replaces the body in place when the page is saved (postil/devserver.js);
  // nothing here is attached outside the body, so this script just starts again.
  if (script) {
    script.addEventListener("postil:update", function (event) { event.preventDefault(); });
    document.addEventListener("postil:updated", start);
  }
})();
