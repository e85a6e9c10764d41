// Byline comment reactions: one button per comment, pressed in place.
// Progressive enhancement: without this script each button is a form that posts
// and comes back to the comment. The cached page is the same for every reader, so
// the reader's own reactions are remembered here (localStorage) and the counts,
// which a cached page may show a little late, are shown from the article's live
// counts (engagement.js: the beacon's answer and its refreshes, which carry
// `comment_reactions`, every comment with any; one missing has none), so a page
// view asks for nothing more. Counts without them (a very long discussion, an
// older server) leave this script to ask the comments' counts API.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.JSON) return;
  var COUNTS_URL = script.dataset.countsUrl;
  var API_URL = script.dataset.apiUrl; // .../0/reaction/
  var STORE = "byline:comment-reactions";
  var KEEP = 500;
  var CHUNK = 300;

  function mine() {
    try {
      var ids = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Array.isArray(ids) ? ids.map(String) : [];
    } catch (e) { return []; }
  }
  function remember(id, reacted) {
    var ids = mine().filter(function (other) { return other !== id; });
    if (reacted) ids.push(id);
    try { window.localStorage.setItem(STORE, JSON.stringify(ids.slice(-KEEP))); } catch (e) { /* private mode */ }
  }
  function buttons() {
    return Array.prototype.slice.call(document.querySelectorAll("button[data-comment-reaction]"));
  }
  function show(button, reacted, count) {
    if (reacted !== null) button.setAttribute("aria-pressed", String(reacted));
    if (typeof count === "number") button.querySelector("[data-count]").textContent = String(count);
  }
  function say(button, message) {
    var form = button.form;
    var note = form.querySelector(".comment-reaction-note");
    if (!note) {
      note = document.createElement("span");
      note.className = "comment-reaction-note";
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.textContent = message;
  }

  function pressMine() {
    var ids = mine();
    buttons().forEach(function (button) {
      if (ids.indexOf(button.dataset.commentReaction) !== -1) show(button, true, null);
    });
  }

  function refreshCounts() {
    var all = buttons();
    for (var start = 0; start < all.length; start += CHUNK) {
      (function (some) {
        var ids = some.map(function (b) { return b.dataset.commentReaction; });
        // no-cache: the browser asks again (shared caches may still keep them a second or two)
        // The address names the page's article (?article=): nginx answers from its file.
        var joint = COUNTS_URL.indexOf("?") === -1 ? "?" : "&";
        fetch(COUNTS_URL + joint + "ids=" + ids.join(","), { credentials: "same-origin", cache: "no-cache" })
          .then(function (response) { return response.ok ? response.json() : { counts: {} }; })
          .then(function (body) {
            some.forEach(function (button) {
              var count = body.counts[button.dataset.commentReaction];
              // A button the reader pressed already shows its count from the answer.
              if (typeof count === "number" && !button.hasAttribute("data-answered")) show(button, null, count);
            });
          }).catch(function () { /* keep the page's counts */ });
      })(all.slice(start, start + CHUNK));
    }
  }

  function react(button) {
    if (button.hasAttribute("aria-busy")) return;
    var id = button.dataset.commentReaction;
    var wanted = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-busy", "true");
    button.setAttribute("data-answered", "");
    fetch(API_URL.replace("/0/", "/" + id + "/"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ reacted: wanted })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          throw new Error((body.error && body.error.message) || "That did not work (" + response.status + "). Try again.");
        }
        return body;
      });
    }).then(function (body) {
      show(button, body.reacted, body.reactions);
      remember(id, body.reacted);
      say(button, "");
    }).catch(function (error) {
      say(button, error.message);
    }).then(function () {
      button.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("comment-reaction")) return;
    event.preventDefault();
    var button = form.querySelector("button[data-comment-reaction]");
    if (button) react(button);
  });

  // The article's counts carry the comments' reaction counts: shown as they come.
  var carried = false;
  document.addEventListener("byline:counts", function (event) {
    var counts = event.detail && event.detail.comment_reactions;
    if (!counts || typeof counts !== "object") return;
    carried = true;
    buttons().forEach(function (button) {
      // A button the reader pressed already shows its count from the answer.
      if (button.hasAttribute("data-answered")) return;
      var count = counts[button.dataset.commentReaction];
      show(button, null, typeof count === "number" ? count : 0);
    });
  });

  pressMine();
  var comments = document.getElementById("comments");
  if (!comments || !buttons().length) return;
  if ("IntersectionObserver" in window) {
    // Counts are asked for when the discussion comes into view, not on every page view,
    // and only when the article's counts did not carry them (engagement.js then
    // refreshes them as the discussion comes into view, if older than its interval).
    var observer = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      observer.disconnect();
      if (!carried) refreshCounts();
    }, { rootMargin: "200px" });
    observer.observe(comments);
  } else {
    refreshCounts();
  }
})();
