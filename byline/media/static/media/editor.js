/* Byline's Markdown editor for the admin: a toolbar for the common marks, a live preview
   rendered by the site's own renderer, and a picker that inserts library images.
   Without this script the field is the plain textarea, and saving works the same. */
(function () {
  "use strict";

  var MARKS = [
    { label: "Bold", title: "Bold (Ctrl+B)", key: "b", wrap: ["**", "**"], sample: "bold text" },
    { label: "Italic", title: "Italic (Ctrl+I)", key: "i", wrap: ["_", "_"], sample: "italic text" },
    { label: "Link", title: "Link (Ctrl+K)", key: "k", link: true },
    { label: "Heading", title: "Heading", prefix: "## ", sample: "Heading" },
    { label: "Quote", title: "Quote", prefix: "> ", sample: "Quotation" },
    { label: "List", title: "Bulleted list", prefix: "- ", sample: "Item" },
  ];

  function csrfToken(textarea) {
    var form = textarea.form;
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) { return input.value; }
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function replaceSelection(textarea, text, selectFrom, selectTo) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    textarea.focus();
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || textarea.value.substring(start, start + text.length) !== text) {
      textarea.setRangeText(text, start, end, "end");
    }
    if (selectFrom !== undefined) {
      textarea.setSelectionRange(start + selectFrom, start + selectTo);
    }
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function applyMark(textarea, mark) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var selected = textarea.value.substring(start, end);
    if (mark.link) {
      var text = selected || "link text";
      var url = window.prompt("Address of the link (https://…)", "https://");
      if (!url) { return; }
      replaceSelection(textarea, "[" + text + "](" + url + ")", 1, 1 + text.length);
    } else if (mark.wrap) {
      var inner = selected || mark.sample;
      replaceSelection(textarea, mark.wrap[0] + inner + mark.wrap[1],
        mark.wrap[0].length, mark.wrap[0].length + inner.length);
    } else {
      var lineStart = textarea.value.lastIndexOf("\n", start - 1) + 1;
      textarea.setSelectionRange(lineStart, end);
      var lines = (textarea.value.substring(lineStart, end) || mark.sample).split("\n");
      var block = lines.map(function (line) { return mark.prefix + line; }).join("\n");
      replaceSelection(textarea, block, mark.prefix.length, block.length);
    }
  }

  function insertBlock(textarea, block) {
    var value = textarea.value, start = textarea.selectionStart;
    var before = value.substring(0, start), after = value.substring(textarea.selectionEnd);
    var lead = before === "" || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
    var tail = after === "" || /^\n\n/.test(after) ? "\n" : (/^\n/.test(after) ? "\n" : "\n\n");
    replaceSelection(textarea, lead + block + tail);
  }

  var siteCss = "/static/byline/site.css";

  function previewDocument(html) {
    var href = siteCss;
    return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">" +
      "<link rel=\"stylesheet\" href=\"" + href + "\"></head><body><main class=\"wrap\">" +
      "<article class=\"article\"><div class=\"body\">" + html + "</div></article></main></body></html>";
  }

  function setUpPreview(textarea, wrapper) {
    var label = document.createElement("span");
    label.className = "md-preview-label";
    label.id = textarea.id + "-preview-label";
    label.textContent = "Preview, as readers will see it";
    var status = document.createElement("span");
    status.className = "md-status";
    status.setAttribute("role", "status");
    label.appendChild(status);
    var warnings = document.createElement("ul");
    warnings.className = "md-warnings";
    var frame = document.createElement("iframe");
    frame.className = "md-preview";
    frame.title = "Preview of the body";
    frame.setAttribute("sandbox", "");  // the rendered body runs nothing
    wrapper.appendChild(label);
    wrapper.appendChild(warnings);
    wrapper.appendChild(frame);
    var timer = null, pending = null;

    function refresh() {
      if (pending) { pending.abort(); }
      pending = new AbortController();
      var body = new URLSearchParams();
      body.set("body", textarea.value);
      status.textContent = "Updating…";
      fetch(textarea.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(textarea), "Accept": "application/json" },
        body: body,
        signal: pending.signal,
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) {
          status.textContent = (result.data.error && result.data.error.message) || "The preview is not available.";
          return;
        }
        frame.srcdoc = previewDocument(result.data.html);
        warnings.textContent = "";
        (result.data.warnings || []).forEach(function (text) {
          var item = document.createElement("li");
          item.textContent = text;
          warnings.appendChild(item);
        });
        status.textContent = "";
        frame.dataset.rendered = "1";
      }).catch(function (error) {
        if (error.name !== "AbortError") { status.textContent = "The preview is not available."; }
      });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    });
    refresh();
  }

  function openPicker(textarea) {
    var dialog = document.createElement("dialog");
    dialog.className = "md-picker";
    dialog.setAttribute("aria-labelledby", textarea.id + "-picker-title");
    dialog.innerHTML =
      '<div class="md-picker-head"><h2></h2>' +
      '<label><span class="visually-hidden">Search the library</span><input type="search" placeholder="Search alt text, caption, credit"></label>' +
      '<a target="_blank" rel="noopener">Upload a new image</a>' +
      '<button type="button" class="md-picker-close">Close</button></div>' +
      '<p class="md-picker-status" role="status"></p><ul class="md-picker-grid"></ul>';
    var title = dialog.querySelector("h2");
    title.id = textarea.id + "-picker-title";
    title.textContent = "Insert an image from the library";
    dialog.querySelector("a").href = textarea.dataset.uploadUrl;
    var search = dialog.querySelector("input");
    var grid = dialog.querySelector(".md-picker-grid");
    var status = dialog.querySelector(".md-picker-status");
    var start = textarea.selectionStart, end = textarea.selectionEnd;

    function load() {
      var url = textarea.dataset.pickerUrl + "?q=" + encodeURIComponent(search.value);
      status.textContent = "Loading…";
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          grid.textContent = "";
          var images = data.images || [];
          status.textContent = images.length ? "" : "No image matches. Upload one first.";
          images.forEach(function (image) {
            var item = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.dataset.mediaId = image.id;
            if (image.thumbnail) {
              var img = document.createElement("img");
              img.src = image.thumbnail;
              img.alt = "";
              button.appendChild(img);
            }
            button.appendChild(document.createTextNode(image.alt));
            button.addEventListener("click", function () {
              dialog.close();
              textarea.focus();
              textarea.setSelectionRange(start, end);
              insertBlock(textarea, image.token);
            });
            item.appendChild(button);
            grid.appendChild(item);
          });
        })
        .catch(function () { status.textContent = "The library could not be loaded."; });
    }

    var timer = null;
    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(load, 300); });
    dialog.querySelector(".md-picker-close").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); textarea.focus(); });
    document.body.appendChild(dialog);
    dialog.showModal();
    search.focus();
    load();
  }

  function setUp(textarea) {
    if (textarea.dataset.editorReady) { return; }
    if (textarea.dataset.siteCss) { siteCss = textarea.dataset.siteCss; }
    textarea.dataset.editorReady = "1";
    var wrapper = document.createElement("div");
    wrapper.className = "md-editor";
    textarea.parentNode.insertBefore(wrapper, textarea);
    var toolbar = document.createElement("div");
    toolbar.className = "md-toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Formatting");
    toolbar.setAttribute("aria-controls", textarea.id);
    MARKS.forEach(function (mark) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = mark.label;
      button.title = mark.title;
      button.addEventListener("click", function () { applyMark(textarea, mark); });
      toolbar.appendChild(button);
    });
    var image = document.createElement("button");
    image.type = "button";
    image.textContent = "Image";
    image.title = "Insert an image from the library";
    image.className = "md-insert-image";
    image.addEventListener("click", function () { openPicker(textarea); });
    toolbar.appendChild(image);
    wrapper.appendChild(toolbar);
    wrapper.appendChild(textarea);
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
      var mark = MARKS.filter(function (m) { return m.key === event.key.toLowerCase(); })[0];
      if (mark) { event.preventDefault(); applyMark(textarea, mark); }
    });
    if (textarea.dataset.previewUrl) { setUpPreview(textarea, wrapper); }
  }

  function start() {
    document.querySelectorAll("textarea[data-editor=markdown]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
