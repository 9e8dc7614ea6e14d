// Reply threads: sort by top / new / old, and mark replies newer than a chosen moment
// (by default the reader's previous visit to this page, remembered in localStorage).
(function () {
  "use strict";
  var script = document.currentScript;
  var visit = null;  // this page load's visit: the preview's in-place updates keep it

  function start() {
    var section = document.getElementById("replies");
    if (!section) return;
    var storageKey = "postil:last-visit:" + location.pathname;
    var DAY = 24 * 60 * 60 * 1000;

    function readVisit() {
      try { return Number(localStorage.getItem(storageKey)) || 0; } catch (error) { return 0; }
    }
    function rememberVisit(now) {
      try { localStorage.setItem(storageKey, String(now)); } catch (error) { /* private mode: nothing to remember */ }
    }
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
        if (!container) return;
        var replies = Array.prototype.filter.call(container.children, function (child) { return child.classList.contains("reply"); });
        replies.sort(orders[order] || orders.old).forEach(function (reply) { container.appendChild(reply); });
      });
    }

    var controls = section.querySelector(".replies-controls");
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

    if (!visit) {
      visit = { previous: readVisit(), now: Date.now() };
      rememberVisit(visit.now);
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

    controls.hidden = false;
    highlightSince(previousVisit);
  }

  start();
  // `postil serve` replaces the body in place when the page is saved (postil/devserver.js);
  // nothing here is attached outside the body, so this script just starts again.
  if (script) {
    script.addEventListener("postil:update", function (event) { event.preventDefault(); });
    document.addEventListener("postil:updated", start);
  }
})();
