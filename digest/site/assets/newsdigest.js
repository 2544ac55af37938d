// newsdigest: show each article's summary in the search results (Material's, or Zensical's).
//
// Material shows, under a result, the blocks of text where the words matched; a word deep in an
// article would show only that paragraph. Readers of a digest want the summary, so this adds it
// under every article result. Summaries come from newsdigest-summaries.json (written by the
// plugin), loaded from this site on the first search, and are inserted as text, never as HTML.
(function () {
  "use strict";

  var config = document.getElementById("__config");
  if (!config || !window.MutationObserver || !window.fetch) return;
  var site = new URL(JSON.parse(config.textContent).base + "/", window.location.href);
  var summaries = null;

  function load() {
    if (summaries === null) {
      summaries = fetch(new URL("assets/newsdigest-summaries.json", site))
        .then(function (response) { return response.ok ? response.json() : {}; })
        .catch(function () { return {}; });
    }
    return summaries;
  }

  function pageOf(link) {
    var url = new URL(link.getAttribute("href"), window.location.href);
    if (url.origin !== site.origin || url.pathname.indexOf(site.pathname) !== 0) return null;
    return decodeURIComponent(url.pathname.slice(site.pathname.length));
  }

  function annotate(byPage) {
    var items = document.querySelectorAll(".md-search-result__item:not([data-digest-summary])");
    Array.prototype.forEach.call(items, function (item) {
      item.setAttribute("data-digest-summary", "");
      var link = item.querySelector("a.md-search-result__link");
      var article = link && link.querySelector("article");
      var page = link && pageOf(link);
      var summary = page && Object.prototype.hasOwnProperty.call(byPage, page) && byPage[page];
      if (!article || typeof summary !== "string") return;
      // Material already shows the summary when the words matched in it.
      var shown = article.textContent.replace(/\s+/g, " ");
      if (shown.indexOf(summary.slice(0, 80)) !== -1) return;
      var paragraph = document.createElement("p");
      paragraph.className = "digest-search-summary";
      paragraph.textContent = summary;
      var heading = article.querySelector("h1, h2");
      article.insertBefore(paragraph, heading ? heading.nextSibling : article.firstChild);
    });
  }

  new MutationObserver(function () {
    if (document.querySelector(".md-search-result__item:not([data-digest-summary])")) {
      load().then(annotate);
    }
  }).observe(document.body, { childList: true, subtree: true });

  // Zensical's search is its own dialog inside an open shadow root (a <div> under <body>):
  // each result is an a[role=option] whose heading is the page's title. The summary goes
  // under it the same way; the page's stylesheet does not reach into the shadow root, so the
  // paragraph carries its few styles itself.
  var SELECTOR = "a[role=option]:not([data-digest-summary])";

  function annotateShadow(root, byPage) {
    Array.prototype.forEach.call(root.querySelectorAll(SELECTOR), function (link) {
      link.setAttribute("data-digest-summary", "");
      var page = pageOf(link);
      var summary = page && Object.prototype.hasOwnProperty.call(byPage, page) && byPage[page];
      var heading = link.querySelector("h1, h2, h3");
      if (!heading || typeof summary !== "string") return;
      if (link.textContent.replace(/\s+/g, " ").indexOf(summary.slice(0, 80)) !== -1) return;
      var paragraph = document.createElement("p");
      paragraph.className = "digest-search-summary";
      // position: relative, as Zensical's own lines: a result's highlight is a positioned
      // ::before that would otherwise be painted over the text.
      paragraph.style.cssText = "position: relative; margin: 0; font-size: 13px; line-height: 1.5";
      paragraph.textContent = summary;
      heading.parentNode.insertBefore(paragraph, heading.nextSibling);
    });
  }

  var watched = [];

  function watchShadowRoots() {
    Array.prototype.forEach.call(document.body.children, function (host) {
      var root = host.shadowRoot;
      if (!root || watched.indexOf(root) !== -1) return;
      watched.push(root);
      new MutationObserver(function () {
        if (root.querySelector(SELECTOR)) load().then(function (byPage) {
          annotateShadow(root, byPage);
        });
      }).observe(root, { childList: true, subtree: true });
    });
  }

  watchShadowRoots();
  new MutationObserver(watchShadowRoots).observe(document.body, { childList: true });
})();
