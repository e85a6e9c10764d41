/* Autosave of an article draft while typing (the normal Save button is the no-JS path).
 *
 * After a pause in typing, the headline, dek and body are posted with the form's
 * version and CSRF token to the admin's autosave endpoint. A draft's text is
 * stored and the form's version moves on, so the Save that follows is not refused;
 * a published article's text is kept as a revision only. If someone else saved in
 * between (409), autosave stops and says so: what was typed stays in the form.
 */
(function () {
  "use strict";
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  function start() {
  var status = document.getElementById("autosave-status");
  var form = document.getElementById("article_form");
  if (!status || !form || !window.fetch) return;
  var url = status.getAttribute("data-autosave-url");
  var delay = 1000 * (parseFloat(status.getAttribute("data-autosave-seconds")) || 5);
  var fields = ["headline", "standfirst", "body"];
  var version = form.querySelector("input[name=loaded_version]");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!url || !version || !token) return;
  var timer = null;
  var sending = false;
  var again = false;
  var stopped = false;

  function show(text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  function send() {
    timer = null;
    if (stopped) return;
    if (sending) { again = true; return; }
    sending = true;
    var body = new URLSearchParams();
    body.append("loaded_version", version.value);
    fields.forEach(function (name) {
      var input = form.elements[name];
      if (input) body.append(name, input.value);
    });
    show("Saving draft…");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.value, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, code: response.status, data: data }; });
    }).then(function (answer) {
      if (answer.ok) {
        version.value = answer.data.version;
        show(answer.data.message + " at " + answer.data.saved_at + ".");
      } else {
        var message = answer.data.error ? answer.data.error.message : "Autosave failed.";
        if (answer.code === 409 || answer.code === 403) stopped = true;
        show(message, true);
      }
    }).catch(function () {
      show("Autosave could not reach the server; press Save to keep your work.", true);
    }).then(function () {
      sending = false;
      if (again && !stopped) { again = false; schedule(); }
    });
  }

  function schedule() {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(send, delay);
  }

  fields.forEach(function (name) {
    var input = form.elements[name];
    if (input) input.addEventListener("input", schedule);
  });
  form.addEventListener("submit", function () {
    stopped = true;
    if (timer) clearTimeout(timer);
  });
  }
})();
