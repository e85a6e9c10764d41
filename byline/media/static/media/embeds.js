/* Byline embeds: a facade (a plain link) becomes the provider's player only when the
   reader asks for it. Nothing is requested from the provider before the click. */
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

  function setUp(figure) {
    var link = figure.querySelector(".embed-facade a");
    if (!link || link.dataset.ready) { return; }
    link.dataset.ready = "1";
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
