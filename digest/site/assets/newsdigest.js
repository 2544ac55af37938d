// newsdigest: show each article's summary in Material's search results.
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
})();
