/* Byline embeds: a facade ("Video on YouTube", a link to open it there) gets a Play (or
   Show) button; the provider's player replaces the facade only when the reader presses it.
   Nothing is requested from the provider before the click. A facade stored before the
   label ("YouTube: <address>") keeps the old way: its link becomes the button. */
(function () {
  "use strict";
  var ALLOWED = /^https:\/\/(www\.youtube-nocookie\.com|player\.vimeo\.com|platform\.twitter\.com|www\.instagram\.com|www\.tiktok\.com|open\.spotify\.com|www\.google\.com|maps\.google\.com|datawrapper\.dwcdn\.net|flo\.uri\.sh)\//;

  function load(figure, link) {
    var src = figure.getAttribute("data-embed-src") || "";
    if (!ALLOWED.test(src)) { window.location.href = link.href; return; }
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = figure.getAttribute("data-embed-title") || "Embedded content";
    frame.setAttribute("allow", "autoplay; encrypted-media; fullscreen; picture-in-picture");
    frame.setAttribute("allowfullscreen", "");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups allow-presentation");
    frame.className = "embed-frame embed-" + (figure.getAttribute("data-embed-ratio") || "16x9");
    var facade = link.closest(".embed-facade") || link;
    facade.replaceWith(frame);
    figure.classList.add("embed-loaded");
    frame.focus();
  }

  function addButton(figure, link) {
    var label = figure.querySelector(".embed-label");
    var button = document.createElement("button");
    var more = document.createElement("span");
    button.type = "button";
    button.className = "embed-button";
    button.textContent = figure.getAttribute("data-embed-action") || "Play";
    more.className = "visually-hidden";
    // The name a screen reader announces starts with the word shown: "Play video on YouTube".
    more.textContent = " " + (label ? label.textContent.replace(/^./, function (c) { return c.toLowerCase(); }) : "");
    button.appendChild(more);
    button.addEventListener("click", function () { load(figure, link); });
    link.parentNode.insertBefore(button, link);
  }

  function setUp(figure) {
    var link = figure.querySelector(".embed-facade a");
    if (!link || link.dataset.ready) { return; }
    link.dataset.ready = "1";
    if (link.classList.contains("embed-open")) { addButton(figure, link); return; }
    link.setAttribute("role", "button");
    link.classList.add("embed-button");
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      event.preventDefault();
      load(figure, link);
    });
    link.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); load(figure, link); }
    });
  }

  document.querySelectorAll("figure.embed[data-embed-src]").forEach(setUp);
})();
