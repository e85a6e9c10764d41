/* Discussion: the inline reply form, in-place posting, and the reader's own
   pending comments. Progressive enhancement: without this script every link
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
    moveBack();
    if (lastReplyLink) lastReplyLink.focus();
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

  function insert(item) {
    if (!item.html || document.getElementById("comment-" + item.id)) return null;
    var template = document.createElement("template");
    template.innerHTML = item.html.trim();
    var node = template.content.firstElementChild;
    listFor(item.parent).appendChild(node);
    return node;
  }

  function refreshSession(fillDetails) {
    return fetch(section.dataset.session, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        form.elements.ts.value = data.ts;
        var saved = data.remembered || {};
        if (fillDetails && saved.name) {
          ["name", "email", "website"].forEach(function (field) {
            if (!form.elements[field].value) form.elements[field].value = saved[field] || "";
          });
          form.elements.remember.checked = true;
        }
        (data.pending || []).forEach(insert);
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

  function csrfToken() {
    return fetch("/api/csrf/", { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) { return data.csrfToken; })
      .catch(function () { return ""; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    clearErrors();
    say("Sending your comment…");
    csrfToken()
      .then(function (token) {
        return fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": token },
        });
      })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        var data = result.data;
        if (!result.ok) {
          say(data.message || "Your comment could not be sent.");
          showErrors(data.errors);
          if (data.errors && data.errors.parent) moveBack();
          refreshSession(false);
          return;
        }
        var node = insert(data);
        form.elements.body.value = "";
        moveBack();
        say(data.message);
        if (data.status === "approved") {
          var count = document.querySelector('[data-counter="comments"] .count');
          if (count) count.textContent = String(Number(count.textContent || 0) + 1);
        }
        if (node) node.scrollIntoView({ block: "nearest" });
      })
      .catch(function () {
        say("Your comment could not be sent. Check your connection and try again; what you wrote is still in the form.");
      })
      .finally(function () { button.disabled = false; });
  });

  refreshSession(true);
})();
