// Byline engagement: counts a view, keeps the figures live and votes in place.
// Progressive enhancement: without this script the forms post and redirect back.
(function () {
  "use strict";

  // Whole-number percentages of `counts` adding up to exactly 100, as the server's
  // stats.shares: each rounded down, the points missing to the largest remainders
  // (the earlier item first on a tie); all zero when there is nothing to share.
  function shares(counts) {
    var total = counts.reduce(function (sum, n) { return sum + n; }, 0);
    if (total === 0) return counts.map(function () { return 0; });
    var remainders = counts.map(function (n) { return (n * 100) % total; });
    var floors = counts.map(function (n, i) { return (n * 100 - remainders[i]) / total; });
    var missing = 100 - floors.reduce(function (sum, n) { return sum + n; }, 0);
    counts.map(function (n, i) { return i; })
      .sort(function (a, b) { return remainders[b] - remainders[a] || a - b; })
      .slice(0, missing)
      .forEach(function (i) { floors[i] += 1; });
    return floors;
  }

  // The mean number of stars to one decimal, half up (stats.Figures.rating_average),
  // in whole numbers: tenths = floor((20 * total + count) / (2 * count)).
  function average(total, count) {
    if (!count) return null;
    var top = 20 * total + count;
    var bottom = 2 * count;
    var tenths = (top - (top % bottom)) / bottom;
    return tenths / 10;
  }

  // The counts with one reader's vote applied: `previous` (the choice the page showed
  // as theirs, null for none) taken out, `next` (null: withdrawn) put in, the percents,
  // the rating's count and average recomputed as the server computes them. For an
  // answer that does not include the vote yet (nginx took it, to be folded in a few
  // seconds): the figures the fold will bring, so nothing jumps when they come.
  function withVote(counts, kind, previous, next) {
    var copy = JSON.parse(JSON.stringify(counts));
    function move(items, key) {
      items.forEach(function (item) {
        if (previous !== null && item[key] === previous) item.count = Math.max(0, item.count - 1);
        if (next !== null && item[key] === next) item.count += 1;
      });
      var percents = shares(items.map(function (item) { return item.count; }));
      items.forEach(function (item, i) { item.percent = percents[i]; });
    }
    if (previous === next) return copy;
    if (kind === "reaction") {
      move(copy.reactions, "key");
    } else {
      var rating = copy.rating;
      move(rating.stars, "stars");
      rating.count = rating.stars.reduce(function (sum, star) { return sum + star.count; }, 0);
      var total = rating.stars.reduce(function (sum, star) { return sum + star.stars * star.count; }, 0);
      rating.average = average(total, rating.count);
    }
    return copy;
  }
  window.Byline = window.Byline || {};
  window.Byline.withVote = withVote;

  var block = document.querySelector("section.engagement[data-counts-url]");
  if (!block || !window.fetch) return;
  var VOTED = "byline:voted";
  var status = block.querySelector(".engagement-status");

  // The byline_voted cookie (a form posted without this script) says the same, and
  // still does where local storage is blocked.
  var votedCookie = /(^|;\s*)byline_voted=1(;|$)/;
  function remembered() {
    if (votedCookie.test(document.cookie)) return true;
    try { return window.localStorage.getItem(VOTED) === "1"; } catch (e) { return false; }
  }
  function remember() {
    try { window.localStorage.setItem(VOTED, "1"); } catch (e) { /* private mode */ }
  }
  function setText(root, field, value) {
    var node = root.querySelector('[data-field="' + field + '"]');
    if (node) node.textContent = String(value);
  }

  // Other scripts on the page show their part of the counts (reactions.js: the
  // comments' reaction counts, which the article's counts carry).
  function showCounts(counts) {
    document.dispatchEvent(new CustomEvent("byline:counts", { detail: counts }));
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

  // "Withdraw my reaction/rating" shows only to a reader with a vote of that kind (the
  // page is the same for everyone: hidden here until the reader's choices are known;
  // without this script the forms keep both, and a withdraw without a vote is harmless).
  function offerWithdraw(kind, voted) {
    var withdraw = block.querySelector('form[data-vote="' + kind + '"] .withdraw');
    if (withdraw) withdraw.hidden = !voted;
  }
  offerWithdraw("reaction", false);
  offerWithdraw("rating", false);

  // The reader's own choices; an answer to a vote carries only the kind voted on.
  function showMine(mine) {
    if ("reaction" in mine) {
      block.querySelectorAll('button[name="reaction"]').forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.value === mine.reaction));
      });
      offerWithdraw("reaction", Boolean(mine.reaction));
    }
    if (!("rating" in mine)) return;
    offerWithdraw("rating", mine.rating !== null && mine.rating !== undefined);
    block.querySelectorAll('button[name="stars"]').forEach(function (button) {
      var stars = Number(button.value);
      button.setAttribute("aria-pressed", String(stars === mine.rating));
      button.classList.toggle("lit", mine.rating !== null && stars <= mine.rating);
    });
  }

  // The JSON answer and its status; an error's message thrown.
  function answerOf(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options || {}))
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            var message = body.error && body.error.message;
            throw new Error(message || "Something went wrong (" + response.status + "). Try again.");
          }
          return { status: response.status, body: body };
        });
      });
  }
  function getJSON(url, options) {
    return answerOf(url, options).then(function (answer) { return answer.body; });
  }

  // Revalidated (a 304 when unchanged), never reused from the browser's cache: a
  // copy from a moment ago may be older than the page or the reader's own vote.
  // An answer older than figures already shown (a vote's answer, or a later refresh)
  // is dropped: on a slow line the first refresh may land after the reader's vote.
  // `unchanged` counts the refreshes in a row whose ETag was the one already shown.
  // nginx keeps the counts a second: a refresh sent just after the reader's own
  // vote may predate it, so for a few seconds after a vote refreshes are not shown.
  // A vote nginx took (202, folded into the counts within a few seconds: the fold runs
  // every 2 s, the counts file is written after it) holds them longer: the page shows
  // the counts with the vote applied until a refresh asked after the fold.
  // `fetchedAt` is when the figures shown were asked for (the beacon, a refresh, a vote).
  var HELD = 3000;
  var HELD_FOR_FOLD = 5000;
  var latest = 0;
  var shownTag = null;
  var unchanged = 0;
  var heldUntil = 0;
  var fetchedAt = Date.now();
  block.addEventListener("submit", function () {
    heldUntil = Math.max(heldUntil, Date.now() + HELD);
    unchanged = 0;
  }, true);
  function seen(response) {
    var tag = response.headers.get("ETag");
    unchanged = tag && tag === shownTag ? unchanged + 1 : 0;
    shownTag = tag;
  }
  function refresh() {
    var asked = ++latest;
    fetchedAt = Date.now();
    var sent = fetchedAt;
    return fetch(block.dataset.countsUrl, { credentials: "same-origin", cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        seen(response);
        return response.json();
      }).then(function (counts) {
        if (asked === latest && sent >= heldUntil) showCounts(counts);
      }).catch(function () { /* keep the page's figures */ });
  }

  function labelOf(button) {
    var label = button.querySelector(".reaction-label, .visually-hidden");
    return label ? label.textContent : button.value;
  }

  // Votes answered so far; the reader's choices as loaded (a promise, set below); per
  // kind, the figures of the last 202 and the choice before the votes they lack.
  var answered = 0;
  var mineLoaded = Promise.resolve();
  var unfolded = {};

  // The reader's choice of this kind as the page shows it (as loaded, or last voted).
  function shownChoice(kind) {
    var field = kind === "reaction" ? "reaction" : "stars";
    var pressed = block.querySelector('button[name="' + field + '"][aria-pressed="true"]');
    if (!pressed) return null;
    return kind === "reaction" ? pressed.value : Number(pressed.value);
  }

  // A vote states the reader's choice, never a toggle, so a retry is harmless. It is
  // sent in the query, with no body (`?reaction=happy`, `?stars=4`): nginx takes it
  // and answers 202 with the counts before it, or the app answers 200 with the
  // reader's choice and the counts after it. The reader's active reaction clicked
  // again, or a "withdraw" button, sends an empty choice (`?reaction=`: withdrawn).
  function vote(form, button) {
    var kind = form.dataset.vote;
    var field = kind === "reaction" ? "reaction" : "stars";
    var url = kind === "reaction" ? block.dataset.reactionUrl : block.dataset.ratingUrl;
    var clear = button.name === "withdraw" ||
      (kind === "reaction" && button.getAttribute("aria-pressed") === "true");
    var choice = clear ? null : kind === "reaction" ? button.value : Number(button.value);
    var query = field + "=" + (clear ? "" : encodeURIComponent(button.value));
    button.disabled = true;
    answerOf(url + (url.indexOf("?") < 0 ? "?" : "&") + query, {
      method: "POST",
      headers: { "Accept": "application/json" }
    }).then(function (answer) {
      // The reader's choices asked as the page opened come first: the vote's previous
      // choice is the one they hold until this answer is shown.
      return mineLoaded.then(function () { return answer; });
    }).then(function (answer) {
      remember();
      latest++;
      answered++;
      fetchedAt = Date.now();
      var mine = answer.body.mine;
      if (answer.status === 202) {
        // Taken, not yet counted: the counts before it, with it applied here. The
        // previous choice is the one the page shows, unless it came from a vote nginx
        // took that these counts do not include yet (the figures of this kind as the
        // last 202 gave them: not folded since): then the choice before that one.
        mine = {};
        mine[kind] = choice;
        heldUntil = Math.max(heldUntil, Date.now() + HELD_FOR_FOLD);
        if (answer.body.reactions) {
          var figures = JSON.stringify(kind === "reaction" ? answer.body.reactions : answer.body.rating);
          var before = unfolded[kind];
          var previous = before && before.figures === figures ? before.previous : shownChoice(kind);
          unfolded[kind] = { figures: figures, previous: previous };
          showCounts(withVote(answer.body, kind, previous, choice));
        }
        refreshAfterFold();
      } else {
        delete unfolded[kind];
        showCounts(answer.body.counts);
        schedule();
      }
      showMine(mine);
      if (kind === "reaction") {
        status.textContent = mine.reaction ? "Your reaction: " + labelOf(button) + "." : "Your reaction was withdrawn.";
      } else {
        status.textContent = mine.rating === null ? "Your rating was withdrawn." : "You rated this article " + labelOf(button) + ".";
      }
    }).catch(function (error) {
      status.textContent = error.message;
    }).then(function () {
      button.disabled = false;
      // A withdraw button hides once the vote is gone: focus stays in the form.
      var target = button.closest("[hidden]") ? form.querySelector("button") : button;
      target.focus();
    });
  }

  // Once a vote nginx took is folded, one refresh shows the server's figures (which
  // then include it); the usual rhythm follows.
  function refreshAfterFold() {
    clearTimeout(timer);
    timer = null;
    if (!watching()) return schedule();
    timer = setTimeout(function () {
      timer = null;
      if (watching()) refresh().then(schedule); else schedule();
    }, Math.max(0, heldUntil - Date.now()));
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
  // A vote the form posted itself (sent before this script ran, or without it) comes
  // back to "?voted=…" with the byline_voted cookie (views.VOTED_COOKIE; kept when the
  // script was off then): this browser has voted, and its choices are asked from now on.
  if (/[?&]voted=/.test(window.location.search) || votedCookie.test(document.cookie)) {
    remember();
  }
  // The reader's choices (asked once); a vote answered before them is newer.
  mineLoaded = remembered()
    ? getJSON(block.dataset.mineUrl, { cache: "no-store" }).then(function (mine) {
      if (!answered) showMine(mine);
    }).catch(function () {})
    : Promise.resolve();
  // While the reader can see figures (the counters under the headline, this block or
  // the discussion's reaction counts, on screen or within a few lines, in a visible
  // tab), other readers' votes,
  // views and comments show up every data-refresh-seconds (each a revalidation,
  // usually a 304 from nginx). While nothing changes the wait doubles, up to four
  // times as long; a change, or the reader's own vote, brings it back. Out of view
  // nothing is asked; figures that come back into view older than the setting are
  // refreshed at once, and so are all of them when the reader returns to the tab.
  var every = (Number(block.dataset.refreshSeconds) || 0) * 1000;
  var timer = null;
  var inView = [];
  var onScreen = !("IntersectionObserver" in window); // an older browser: always
  function watching() {
    return every > 0 && onScreen && document.visibilityState === "visible";
  }
  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (!watching()) return;
    var wait = every * Math.min(4, Math.pow(2, unchanged));
    timer = setTimeout(function () {
      timer = null;
      if (watching()) refresh().then(schedule);
    }, Math.max(0, fetchedAt + wait - Date.now()));
  }
  function lookAgain() {
    if (watching() && Date.now() - fetchedAt >= every) {
      clearTimeout(timer);
      refresh().then(schedule);
    } else {
      schedule();
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return schedule();
    clearTimeout(timer);
    refresh().then(schedule);
  });
  if (!onScreen && every > 0) {
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var at = inView.indexOf(entry.target);
        if (entry.isIntersecting && at < 0) inView.push(entry.target);
        if (!entry.isIntersecting && at >= 0) inView.splice(at, 1);
      });
      var was = onScreen;
      onScreen = inView.length > 0;
      if (onScreen !== was) lookAgain();
    }, { rootMargin: "200px 0px" });
    observer.observe(block);
    document.querySelectorAll("[data-counter], #comments").forEach(function (node) { observer.observe(node); });
  }
  schedule();
})();
