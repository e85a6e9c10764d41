/* Discussion: the inline reply form, in-place posting, the reader's own
   pending comments, copying a comment's link and editing one's own comment. Progressive enhancement: without this script every link
   and form works by plain page loads. */
(function () {
  "use strict";
  var section = document.getElementById("comments");
  var respond = document.getElementById("respond");
  if (!section || !respond || !window.fetch || !section.dataset.session) return;
  var form = respond.querySelector("form");
  var cancel = document.getElementById("cancel-reply");
  var replyingTo = respond.querySelector(".replying-to");
  var message = respond.querySelector(".form-message");
  var home = document.createElement("div");
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);
  var lastReplyLink = null;

  function say(text) {
    message.textContent = "";
    if (text) {
      var p = document.createElement("p");
      p.textContent = text;
      message.appendChild(p);
    }
  }

  function moveUnder(link) {
    var item = document.getElementById("comment-" + link.dataset.comment);
    if (!item) return;
    item.querySelector(".comment-body").after(respond);
    form.elements.parent.value = link.dataset.comment;
    replyingTo.textContent = "Replying to " + link.dataset.author;
    replyingTo.hidden = false;
    say(""); // the last comment's "published" is not news of this reply
    cancel.hidden = false;
    lastReplyLink = link;
    form.elements.body.focus();
  }

  function moveBack() {
    home.after(respond);
    form.elements.parent.value = "";
    replyingTo.hidden = true;
    cancel.hidden = true;
  }

  section.addEventListener("click", function (event) {
    var link = event.target.closest(".comment-reply-link");
    if (link) {
      event.preventDefault();
      moveUnder(link);
    }
  });
  cancel.addEventListener("click", function (event) {
    event.preventDefault();
    // The page may have opened with the form answering a comment (?replyto=, a Reply
    // link opened in a tab of its own): the focus goes to that comment's Reply link.
    var answered = form.elements.parent.value;
    moveBack();
    var back = lastReplyLink ||
      (/^\d+$/.test(answered) && section.querySelector('.comment-reply-link[data-comment="' + answered + '"]'));
    (back || form.elements.body).focus();
  });

  function listFor(parentId) {
    var list = null;
    var parent = parentId && document.getElementById("comment-" + parentId);
    if (parent) {
      list = parent.querySelector(":scope > ol.children");
      if (!list) {
        list = document.createElement("ol");
        list.className = "children";
        parent.appendChild(list);
      }
      return list;
    }
    list = section.querySelector(":scope > ol.comment-list");
    if (!list) {
      var none = section.querySelector(".no-comments");
      if (none) none.remove();
      list = document.createElement("ol");
      list.className = "comment-list";
      section.querySelector("h2").after(list);
    }
    return list;
  }

  // A comment taken back since this page was loaded goes from it as from every other
  // page: with its thread (held: its replies wait with it), or, removed by a moderator,
  // as the placeholder's words (the answer's) above the replies it has here.
  function takeBack(id, placeholder) {
    var node = id && document.getElementById("comment-" + id);
    if (!node) return;
    var replies = node.querySelector(":scope > ol.children");
    if (!placeholder || !replies || !replies.children.length) { node.remove(); return; }
    var note = document.createElement("p");
    note.className = "comment-removed-note";
    note.textContent = placeholder;
    node.replaceChildren(note, replies);
    node.classList.add("comment-removed");
  }

  function insert(item) {
    if (!item.html || document.getElementById("comment-" + item.id)) return null;
    var template = document.createElement("template");
    template.innerHTML = item.html.trim();
    var node = template.content.firstElementChild;
    listFor(item.parent).appendChild(node);
    return node;
  }

  // Whether the form holds a token this page asked for (the one in a cached page is
  // as old as the page). Behind nginx a reader with nothing of theirs in the session
  // gets it without a token ("ts": null): the form asks for one (&form=1) when used.
  // ``keepToken``: the form already holds a token of its own (the one a post answered with).
  var stamped = false;
  var sessionRead = false; // the app answered this page's session (what is the reader's)
  function refreshSession(fillDetails, forForm, keepToken) {
    var url = section.dataset.session + (forForm ? "&form=1" : "");
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.ts && !keepToken) {
          form.elements.ts.value = data.ts;
          stamped = true;
        }
        if (data.ts) sessionRead = true; // nginx's answer for a reader who has none: no ts
        keepCsrf(data);
        var saved = data.remembered || {};
        if (fillDetails && saved.name) {
          ["name", "email", "website"].forEach(function (field) {
            if (!form.elements[field].value) form.elements[field].value = saved[field] || "";
          });
          form.elements.remember.checked = true;
        }
        (data.pending || []).forEach(insert);
        (data.editable || []).forEach(offerEdit);
      })
      .catch(function () { /* the plain form still works */ });
  }

  function clearErrors() {
    form.querySelectorAll(".field-error.from-script").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
  }

  function showErrors(errors) {
    Object.keys(errors || {}).forEach(function (name) {
      var input = form.elements[name];
      if (!input || input.type === "hidden") return;
      var note = document.createElement("span");
      note.className = "field-error from-script";
      note.id = "id_" + name + "-error";
      note.textContent = errors[name].join(" ");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", note.id);
      input.after(note);
    });
  }

  // The CSRF token a post sends (X-CSRFToken): the one the form's session answered
  // with (the app's, beside the form token), then each post's answer's. With none held
  // (the form's session failed, or was nginx's, which has none; a commenter's session
  // without the csrftoken cookie), it is asked for first (/api/csrf/); a post refused
  // for it ("reason": "csrf": the cookie rotated since, a sign-in in another tab) is
  // sent again, once, with a token asked for then. A refused post stored
  // nothing, so sending it again is safe (and a comment's form token makes even a
  // stored one come back as itself: actions.comment_of_spent_token).
  var csrf = "";
  function keepCsrf(data) {
    if (data && typeof data.csrfToken === "string" && data.csrfToken) csrf = data.csrfToken;
  }
  function askCsrf() {
    return fetch("/api/csrf/", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { keepCsrf(data); return csrf; })
      .catch(function () { return csrf; });
  }
  function post(url, body) {
    function send(token) {
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token },
      }).then(function (response) {
        return response.json().then(function (data) {
          keepCsrf(data);
          return { ok: response.ok, status: response.status, data: data };
        });
      });
    }
    return (csrf ? Promise.resolve(csrf) : askCsrf()).then(send).then(function (result) {
      if (result.status !== 403 || result.data.reason !== "csrf") return result;
      csrf = "";
      return askCsrf().then(send);
    });
  }

  // A refused comment: the focus goes where the reader has something to correct (the
  // first field marked), else back to the button they pressed. Disabling the button
  // while sending dropped the focus to the page, so Tab started again from the top.
  function focusToCorrect(button) {
    var field = form.querySelector("[aria-invalid=true]");
    button.disabled = false;
    (field || button).focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    var inForm = form.contains(document.activeElement);
    button.disabled = true;
    clearErrors();
    say("Sending your comment…");
    post(form.action, new FormData(form))
      .then(function (result) {
        var data = result.data;
        if (!result.ok) {
          say(data.message || "Your comment could not be sent.");
          showErrors(data.errors);
          if (data.errors && data.errors.parent) moveBack();
          takeBack(data.gone, data.placeholder);
          refreshSession(false, true);
          if (inForm) focusToCorrect(button);
          return;
        }
        // This token is spent: the answer carries the next one, with the minimum time
        // already served (the reader just waited it out: views.next_form_token), so a
        // quick follow-up is taken, and the Edit link on the new comment (below: the
        // edit window is for the typo seen right after posting). The session is asked
        // again only when that is not all it would bring: an answer without a next
        // token (a comment the filter discarded), or a page whose session the app never
        // answered (the reader's own comments waiting, from another page).
        if (data.ts) {
          form.elements.ts.value = data.ts;
          stamped = true;
        }
        if (!data.ts || !sessionRead) refreshSession(false, true, Boolean(data.ts));
        form.elements.body.value = "";
        moveBack();
        say(data.message);
        if (data.status === "held") {
          // A comment above the one answered was taken back for moderation after this
          // page was loaded: it is gone from every other page, and the reply waits with
          // it. Not shown under it here either; the reader is told, with a link to it.
          // On a thread's later page the held comment is on an earlier one: the replies
          // under it here go too (``under``).
          [data.held].concat(data.under || []).forEach(function (id) { takeBack(id, false); });
          var link = document.createElement("a");
          link.href = data.url;
          link.textContent = "See your reply";
          message.firstChild.append(" ", link);
          return;
        }
        var node = insert(data);
        (data.editable || []).forEach(offerEdit);
        if (data.status === "approved") {
          var count = document.querySelector('[data-counter="comments"] .count');
          if (count) count.textContent = String(Number(count.textContent || 0) + 1);
        }
        if (node) node.scrollIntoView({ block: "nearest" });
      })
      .catch(function () {
        say("Your comment could not be sent. Check your connection and try again; what you wrote is still in the form.");
        if (inForm) focusToCorrect(button);
      })
      .finally(function () { button.disabled = false; });
  });

  /* "Copy link": the link is the comment's permalink (it works as a plain link);
     with a clipboard it copies the address instead and says so. */
  section.addEventListener("click", function (event) {
    var link = event.target.closest("[data-copy-link]");
    if (!link || !navigator.clipboard || !window.isSecureContext) return;
    event.preventDefault();
    var url = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(url).then(function () {
      var note = link.parentNode.querySelector(".copied") || document.createElement("span");
      note.className = "copied";
      note.setAttribute("role", "status");
      note.textContent = "Link copied";
      link.after(note);
      window.setTimeout(function () { note.textContent = ""; }, 4000);
    }, function () { window.location.href = url; });
  });

  /* Editing one's own comment: only the reader's own comments, as the uncached
     session answer lists them, get an Edit link; without script the same link
     opens the edit form on its own page. */
  function offerEdit(item) {
    var node = document.getElementById("comment-" + item.id);
    if (!node) return;
    var meta = node.querySelector(":scope > .comment-body .comment-meta");
    if (!meta || meta.querySelector(".comment-edit-link")) return;
    var link = document.createElement("a");
    link.className = "comment-edit-link";
    link.href = item.url;
    link.dataset.comment = String(item.id);
    link.textContent = "Edit";
    link.addEventListener("click", function (event) {
      event.preventDefault();
      openEditor(node, item, link);
    });
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(link);
  }

  function openEditor(node, item, link) {
    var body = node.querySelector(":scope > .comment-body");
    if (body.querySelector(".edit-form")) return;
    var content = body.querySelector(".comment-content");
    var editor = document.createElement("form");
    editor.className = "comment-form edit-form";
    editor.method = "post";
    editor.action = item.url;
    var id = "edit-body-" + item.id;
    editor.innerHTML =
      '<div class="form-message" role="alert"></div>' +
      '<p class="field field-body"><label for="' + id + '">Edit your comment</label>' +
      '<textarea name="body" id="' + id + '" rows="6" required></textarea></p>' +
      '<p class="form-submit"><button type="submit">Save changes</button> ' +
      '<button type="button" class="cancel-edit">Cancel</button></p>';
    var area = editor.querySelector("textarea");
    area.value = item.body;
    var note = editor.querySelector(".form-message");
    content.hidden = true;
    content.after(editor);
    area.focus();
    editor.querySelector(".cancel-edit").addEventListener("click", function () {
      editor.remove();
      content.hidden = false;
      link.focus();
    });
    editor.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = editor.querySelector("button[type=submit]");
      button.disabled = true;
      note.textContent = "Saving…";
      var data = new FormData();
      data.append("body", area.value);
      post(item.url, data)
        .then(function (result) {
          if (!result.ok) {
            note.textContent = result.data.message || "Your comment could not be saved.";
            var errors = result.data.errors && result.data.errors.body;
            if (errors) note.textContent += " " + errors.join(" ");
            return;
          }
          var template = document.createElement("template");
          template.innerHTML = result.data.html.trim();
          var fresh = template.content.querySelector(".comment-body");
          body.replaceWith(fresh);
          item.body = area.value;
          var status = document.createElement("p");
          status.className = "edit-message";
          status.setAttribute("role", "status");
          status.textContent = result.data.message;
          fresh.appendChild(status);
          if (result.data.status === "approved") offerEdit(item);
        })
        .catch(function () {
          note.textContent = "Your comment could not be saved. Check your connection and try again; what you wrote is still here.";
        })
        .finally(function () { button.disabled = false; });
    });
  }

  // What the session holds (a fresh form timestamp, the reader's remembered details,
  // their own comments waiting or still editable) all shows in the discussion. Only a
  // reader who commented in this browser has anything in it, and their browser holds
  // the marker the server sets beside those (HttpOnly) cookies ("byline_has_session",
  // no identity): they ask for it once, when the discussion comes into view. Everyone
  // else asks when they use the form, for its token (and, should their marker have
  // been removed, what is theirs comes back then, with the marker). The marker is read
  // when the discussion comes into view, not before: the view beacon's answer, at page
  // load, marks a browser holding those cookies without it (a reader who commented
  // before the marker existed); a discussion in view at load asks from the next page.
  function marked() { return /(?:^|;\s*)byline_has_session=/.test(document.cookie); }
  var sessionAsked = false;
  var stampAsked = false;
  function firstSession() {
    if (sessionAsked) return;
    sessionAsked = true;
    refreshSession(true, false);
  }
  form.addEventListener("focusin", function () {
    if (stamped || stampAsked) return;
    stampAsked = sessionAsked = true;
    refreshSession(true, true);
  });
  if ("IntersectionObserver" in window) {
    var watcher = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      watcher.disconnect();
      if (marked()) firstSession();
    }, { rootMargin: "200px" });
    watcher.observe(section);
  } else if (marked()) {
    firstSession();
  }
})();
