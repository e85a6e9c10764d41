// Byline engagement: counts a view, keeps the figures live and votes in place.
// Progressive enhancement: without this script the forms post and redirect back.
(function () {
  "use strict";
  var block = document.querySelector("section.engagement[data-counts-url]");
  if (!block || !window.fetch) return;
  var VOTED = "byline:voted";
  var status = block.querySelector(".engagement-status");

  function remembered() {
    try { return window.localStorage.getItem(VOTED) === "1"; } catch (e) { return false; }
  }
  function remember() {
    try { window.localStorage.setItem(VOTED, "1"); } catch (e) { /* private mode */ }
  }
  function setText(root, field, value) {
    var node = root.querySelector('[data-field="' + field + '"]');
    if (node) node.textContent = String(value);
  }

  function showCounts(counts) {
    ["views", "comments"].forEach(function (name) {
      var counter = document.querySelector('[data-counter="' + name + '"]');
      if (!counter || typeof counts[name] !== "number") return;
      counter.querySelector(".count").textContent = String(counts[name]);
      var label = counter.querySelector(".label");
      if (label) label.textContent = counts[name] === 1 ? name.slice(0, -1) : name;
    });
    counts.reactions.forEach(function (reaction) {
      var item = block.querySelector('[data-reaction="' + reaction.key + '"]');
      if (!item) return;
      setText(item, "count", reaction.count);
      setText(item, "percent", reaction.percent);
    });
    var rating = counts.rating;
    setText(block, "average", rating.average === null ? "–" : rating.average.toFixed(1));
    setText(block, "rating-count", rating.count);
    setText(block, "rating-noun", rating.count === 1 ? "rating" : "ratings");
    rating.stars.forEach(function (star) {
      var item = block.querySelector('[data-stars="' + star.stars + '"]');
      if (!item) return;
      setText(item, "count", star.count);
      var bar = item.querySelector('[data-field="bar"]');
      if (bar) bar.style.width = star.percent + "%";
    });
  }

  // The reader's own choices; an answer to a vote carries only the kind voted on.
  function showMine(mine) {
    if ("reaction" in mine) {
      block.querySelectorAll('button[name="reaction"]').forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.value === mine.reaction));
      });
    }
    if (!("rating" in mine)) return;
    block.querySelectorAll('button[name="stars"]').forEach(function (button) {
      var stars = Number(button.value);
      button.setAttribute("aria-pressed", String(stars === mine.rating));
      button.classList.toggle("lit", mine.rating !== null && stars <= mine.rating);
    });
  }

  function getJSON(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options || {}))
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            var message = body.error && body.error.message;
            throw new Error(message || "Something went wrong (" + response.status + "). Try again.");
          }
          return body;
        });
      });
  }

  // Revalidated (a 304 when unchanged), never reused from the browser's cache: a
  // copy from a moment ago may be older than the page or the reader's own vote.
  // An answer older than figures already shown (a vote's answer, or a later refresh)
  // is dropped: on a slow line the first refresh may land after the reader's vote.
  // `unchanged` counts the refreshes in a row whose ETag was the one already shown.
  // nginx keeps the counts a second: a refresh sent just after the reader's own
  // vote may predate it, so for a few seconds after a vote refreshes are not shown.
  var latest = 0;
  var shownTag = null;
  var unchanged = 0;
  var votedAt = 0;
  block.addEventListener("submit", function () { votedAt = Date.now(); }, true);
  function seen(response) {
    var tag = response.headers.get("ETag");
    unchanged = tag && tag === shownTag ? unchanged + 1 : 0;
    shownTag = tag;
  }
  function refresh() {
    var asked = ++latest;
    return fetch(block.dataset.countsUrl, { credentials: "same-origin", cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        seen(response);
        return response.json();
      }).then(function (counts) {
        if (asked === latest && Date.now() - votedAt > 3000) showCounts(counts);
      }).catch(function () { /* keep the page's figures */ });
  }

  function labelOf(button) {
    var label = button.querySelector(".reaction-label, .visually-hidden");
    return label ? label.textContent : button.value;
  }

  // A vote states the reader's choice, never a toggle, so a retry is harmless:
  // the reader's active reaction clicked again, or a "withdraw" button, sends a
  // DELETE (a clear); any other button sets that choice.
  function vote(form, button) {
    var kind = form.dataset.vote;
    var url = kind === "reaction" ? block.dataset.reactionUrl : block.dataset.ratingUrl;
    var clear = button.name === "withdraw" ||
      (kind === "reaction" && button.getAttribute("aria-pressed") === "true");
    var request = {
      method: clear ? "DELETE" : "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" }
    };
    if (!clear) {
      var body = {};
      body[kind === "reaction" ? "reaction" : "stars"] = kind === "reaction" ? button.value : Number(button.value);
      request.body = JSON.stringify(body);
    }
    button.disabled = true;
    getJSON(url, request).then(function (answer) {
      remember();
      latest++;
      showCounts(answer.counts);
      showMine(answer.mine);
      if (kind === "reaction") {
        status.textContent = answer.mine.reaction ? "Your reaction: " + labelOf(button) + "." : "Your reaction was withdrawn.";
      } else {
        status.textContent = answer.mine.rating === null ? "Your rating was withdrawn." : "You rated this article " + labelOf(button) + ".";
      }
    }).catch(function (error) {
      status.textContent = error.message;
    }).then(function () {
      button.disabled = false;
      button.focus();
    });
  }

  block.querySelectorAll("form[data-vote]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.value) return; // let the form post the plain way
      event.preventDefault();
      vote(form, button);
    });
  });

  // Count this view; the beacon answers with the live counts (which include it),
  // so a page view is one request. Without them (an older server), ask for them.
  var counting = ++latest;
  var counted = block.dataset.viewUrl
    ? fetch(block.dataset.viewUrl, {
        method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (response.status !== 200) return null;
        seen(response);
        return response.json();
      }).catch(function () { return null; /* an uncounted view is not the reader's problem */ })
    : Promise.resolve(null);
  counted.then(function (counts) {
    if (!counts || !counts.reactions) return refresh();
    if (counting === latest) showCounts(counts);
  });
  if (remembered()) getJSON(block.dataset.mineUrl, { cache: "no-store" }).then(showMine).catch(function () {});
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });
  // While the reader has the page in view, other readers' votes, views and comments
  // show up every data-refresh-seconds (each a revalidation, usually a 304 from
  // nginx). While nothing changes the wait doubles, up to four times as long;
  // the first change brings it back.
  var every = Number(block.dataset.refreshSeconds) || 0;
  if (every > 0) {
    (function later() {
      setTimeout(function () {
        var done = document.visibilityState === "visible" ? refresh() : null;
        Promise.resolve(done).then(later);
      }, every * 1000 * Math.min(4, Math.pow(2, unchanged)));
    })();
  }
})();
