/* Reply links (the `replies_via` setting; see postil/reply_links.py, which writes the same
   links for pages read without JavaScript). Here each link gets, at the moment of the click,
   a date and a unique file name; and selecting a passage of the essay offers "Reply to this
   passage", whose ready reply opens with the selection as a `> ` quote, made as the
   side-comment rule matches quotes (postil/quotes.py): footnote marks and the margin left
   out, several paragraphs one quote, at least MINIMUM characters. */
(function () {
  "use strict";
  var MINIMUM = 20;  // postil/quotes.py MINIMUM_QUOTE_LENGTH
  var LONGEST = 1000;  // longer quotes are cut (with "…", which the rule allows): URLs have limits
  var LEFT_OUT = ".footnote-ref, .footnote-backref, .sidenote, .side-comments, .heading-anchor, .passage-reply";
  var BLOCKS = /^(P|LI|H[1-6]|BLOCKQUOTE|PRE|TD|TH|TR|DT|DD|FIGCAPTION|DIV|SECTION|ASIDE|UL|OL|DL|TABLE)$/;
  var script = document.currentScript;
  var form = null, essayBody = null, control = null, pending = false, cleanups = [];

  function listen(target, type, handler, capture) {
    target.addEventListener(type, handler, capture);
    cleanups.push(function () { target.removeEventListener(type, handler, capture); });
  }

  // encodeURIComponent leaves !'()* alone; Python's quote(safe="") does not.
  function encode(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
  }
  function oneLine(text) { return text.split(/\s+/).filter(Boolean).join(" "); }

  function readyReply(parent, date, quote) {
    var lines = ["---", "# A reply to \u201c" + oneLine(form.title) + "\u201d (" + form.url + ").",
      "# Write it in Markdown below the last ---, and your name after author:", "author: "];
    if (date) lines.push("date: " + date);
    if (parent) lines.push("parent: " + parent);
    lines.push("draft: true", "---", "");
    if (quote) lines.splice(lines.length - 1, 1, quote, "", "");
    return lines.join("\n");
  }

  function href(body, filename) {
    var subject = "Re: " + oneLine(form.title);
    if (form.via.indexOf("mailto:") === 0) {
      return form.via + "?subject=" + encode(subject) + "&body=" + encode(body.replace(/\n/g, "\r\n"));
    }
    var values = { path: form.folder + filename, filename: filename, title: subject, body: body };
    return form.via.replace(/\{\{|\}\}|\{(path|filename|title|body)\}/g, function (match, name) {
      return name ? encode(values[name]) : match.charAt(0);
    });
  }

  function now() { return new Date().toISOString().replace(/\.\d+Z$/, "Z"); }

  // A reply id (letters, digits, - and _): today's date and random letters, so two readers never clash.
  function freshFilename(date) {
    var random = new Uint32Array(2);
    crypto.getRandomValues(random);
    return date.slice(0, 10) + "-" + random[0].toString(36) + random[1].toString(36).slice(0, 3) + ".md";
  }

  function linkFor(parent, quote) {
    var date = now();
    // By e-mail the message has its own date; through a forge the file is all there is.
    var byMail = form.via.indexOf("mailto:") === 0;
    return href(readyReply(parent, byMail ? "" : date, quote), freshFilename(date));
  }

  function refresh(event) {
    var link = event.target.closest && event.target.closest("a.reply-link, a.reply-passage-link");
    if (link) link.href = linkFor(link.getAttribute("data-parent") || "", link.quote || "");
  }

  /* The selection as a quote: its text block by block, as the essay's passages read. */
  function escapeMarkdown(text) {
    return text.replace(/[\\`*_[\]<>&~=|{}$]/g, "\\$&").replace(/^[#+\-]/, "\\$&").replace(/^(\d+)([.)])/, "$1\\$2");
  }

  function selectedParagraphs(range) {
    var fragment = range.cloneContents();
    fragment.querySelectorAll(LEFT_OUT).forEach(function (node) { node.remove(); });
    var paragraphs = [], current = "";
    function flush() {
      var text = oneLine(current);
      if (text) paragraphs.push(text);
      current = "";
    }
    (function walk(node) {
      for (var child = node.firstChild; child; child = child.nextSibling) {
        if (child.nodeType === 3) current += child.data;
        else if (child.nodeName === "BR") current += " ";
        else if (child.nodeType === 1) {
          var block = BLOCKS.test(child.nodeName);
          if (block) flush();
          walk(child);
          if (block) flush();
        }
      }
    })(fragment);
    flush();
    return paragraphs;
  }

  function quoteOf(paragraphs) {
    var left = LONGEST, kept = [];
    for (var i = 0; i < paragraphs.length && left > 0; i++) {
      var text = paragraphs[i];
      if (text.length > left) {
        var cut = text.lastIndexOf(" ", left);
        text = text.slice(0, cut > left / 2 ? cut : left) + " \u2026";
      }
      kept.push("> " + escapeMarkdown(text));
      left -= text.length;
    }
    return kept.join("\n>\n");
  }

  // The essay's own text: a side comment is a reader's words, and the control is ours.
  function inEssay(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    return !!element && essayBody.contains(element) && !element.closest(".side-comments, .passage-reply");
  }

  function hideControl() {
    if (control) control.remove();
    control = null;
  }

  function update() {
    pending = false;
    var selection = document.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount || !inEssay(selection.anchorNode) || !inEssay(selection.focusNode)) {
      if (!control || document.activeElement !== control.firstChild) hideControl();
      return;
    }
    var range = selection.getRangeAt(0);
    var paragraphs = selectedParagraphs(range);
    if (paragraphs.join(" ").length < MINIMUM) return hideControl();
    var appeared = !control;
    if (appeared) {
      control = document.createElement("div");
      control.className = "passage-reply";
      control.setAttribute("role", "status");
      var link = document.createElement("a");
      link.className = "reply-passage-link";
      link.textContent = "Reply to this passage";
      // Clicking must not first collapse the selection (which would take the control away).
      link.addEventListener("mousedown", function (event) { event.preventDefault(); });
      link.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { hideControl(); selection.removeAllRanges(); }
      });
      control.appendChild(link);
      var hint = document.createElement("span");
      hint.className = "visually-hidden";
      hint.textContent = " (press Tab to reach it)";
      control.appendChild(hint);
    }
    control.firstChild.quote = quoteOf(paragraphs);
    control.firstChild.href = linkFor("", control.firstChild.quote);
    // In the page's order right after the selected text, so Tab from the selection reaches it.
    var block = range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentElement;
    while (block.parentElement !== essayBody && block !== essayBody) block = block.parentElement;
    if (block === essayBody) essayBody.appendChild(control);
    else if (control.previousSibling !== block) block.after(control);
    place(range);
  }

  /* Below the selection's last line (the way out of a touch selection's handles), or above
     its first line when there is no room below; never over any line of it. */
  function place(range) {
    var lines = Array.prototype.filter.call(range.getClientRects(), function (r) { return r.width > 0 && r.height > 0; });
    if (!lines.length) return;
    var last = lines[lines.length - 1], first = lines[0];
    var width = control.offsetWidth, height = control.offsetHeight;
    var touch = window.matchMedia("(pointer: coarse)").matches ? 28 : 6;
    var viewport = document.documentElement.clientWidth;
    var left = Math.min(Math.max(essayBody.getBoundingClientRect().left, last.right - width), viewport - width - 8);
    var top = last.bottom + touch;
    if (top + height > window.innerHeight && first.top - height - 6 > 0) top = first.top - height - 6;
    var overlaps = lines.some(function (r) { return left < r.right && left + width > r.left && top < r.bottom && top + height > r.top; });
    if (overlaps) top = Math.max.apply(null, lines.map(function (r) { return r.bottom; })) + touch;
    var origin = control.offsetParent ? control.offsetParent.getBoundingClientRect() : { left: -window.scrollX, top: -window.scrollY };
    control.style.left = Math.round(left - origin.left) + "px";
    control.style.top = Math.round(top - origin.top) + "px";
  }

  // A selection made from the keyboard leaves focus where it was: Tab goes to the control first.
  function toControl(event) {
    if (event.key !== "Tab" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey || !control) return;
    if (document.activeElement === control.firstChild) return;
    event.preventDefault();
    control.firstChild.focus();
  }

  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(update);
  }

  function start() {
    var holder = document.querySelector(".essay-reply[data-reply-via]");
    essayBody = document.querySelector(".essay-body");
    if (!holder) return;
    form = { via: holder.dataset.replyVia, title: holder.dataset.replyTitle, url: holder.dataset.replyUrl, folder: holder.dataset.replyFolder };
    ["click", "auxclick", "contextmenu"].forEach(function (type) { listen(document, type, refresh, true); });
    if (essayBody) {
      listen(document, "selectionchange", schedule);
      listen(document, "keydown", toControl);
      listen(window, "resize", schedule);
    }
  }

  function stop() {
    hideControl();
    cleanups.splice(0).forEach(function (undo) { undo(); });
  }

  start();
  // `postil serve` swaps the body in place (postil/devserver.js): stop, and start on the new one.
  if (script) {
    script.addEventListener("postil:update", function (event) { event.preventDefault(); stop(); });
    document.addEventListener("postil:updated", start);
  }
})();
