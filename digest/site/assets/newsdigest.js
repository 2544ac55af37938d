// newsdigest: article search in the theme's search box (Material's header box, or Zensical's
// search dialog), and each article's summary in the results.
//
// With `search: pagefind` (or `search: auto`, the default, past 100 KB of articles; every
// page's head then has <meta name="newsdigest-search" content="pagefind">), articles are found
// through the Pagefind bundle in pagefind/: its script, WebAssembly and the newest articles'
// index load with the page, the older articles' shards are merged in when the box is focused,
// and each query fetches only the index parts it needs, so a visit never downloads the whole
// archive. Results go into Material's search panel
// with Material's own classes (same look, dark mode, phone layout, arrow keys), above
// Material's results for the pages it still indexes (home, topics, the user's pages); in
// Zensical's dialog, above its own results, with its classes. Everything from the index is
// article text, so it is inserted as text; the only markup kept is Pagefind's <mark>.
//
// With `search: material` (and under `search: auto` while the digest is small), Material (or
// Zensical) shows, under a result, the blocks of text where the words matched; a word deep in
// an article would show only that paragraph. Readers of a digest want the summary, so this
// adds, under every article result, its date, source and topics and its summary, as the
// Pagefind results show them. They come from newsdigest-summaries.json (written by the
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
        .then(function (byPage) {
          return byPage && typeof byPage === "object" && !Array.isArray(byPage) ? byPage : {};
        })
        .catch(function () { return {}; });
    }
    return summaries;
  }

  function pageOf(link) {
    var url = new URL(link.getAttribute("href"), window.location.href);
    if (url.origin !== site.origin || url.pathname.indexOf(site.pathname) !== 0) return null;
    return decodeURIComponent(url.pathname.slice(site.pathname.length));
  }

  // An article's card from the summaries file: {summary, date, source, topics} (a summary
  // alone in files written before dates and sources were added), or null.
  function cardOf(byPage, page) {
    var card = page && Object.prototype.hasOwnProperty.call(byPage, page) && byPage[page];
    if (typeof card === "string") return { summary: card };
    if (!card || typeof card !== "object" || typeof card.summary !== "string") return null;
    return card;
  }

  // Under the result's title: the article's date, source and topics and its summary (unless
  // the theme already shows it: its words matched there), in the order the Pagefind results of
  // the same theme show them (summaryFirst in Zensical's).
  function addCard(container, heading, card, style, summaryFirst) {
    var after = heading ? heading.nextSibling : container.firstChild;
    var shown = container.textContent.replace(/\s+/g, " ");
    var line = metaLine(card);
    var parts = [
      line && text("p", "digest-search-meta", line),
      shown.indexOf(card.summary.slice(0, 80)) === -1 &&
        text("p", "digest-search-summary", card.summary),
    ];
    if (summaryFirst) parts.reverse();
    parts.forEach(function (paragraph) {
      if (!paragraph) return;
      if (style) paragraph.style.cssText = style;
      container.insertBefore(paragraph, after);
    });
  }

  function annotate(byPage) {
    var items = document.querySelectorAll(".md-search-result__item:not([data-digest-summary])");
    Array.prototype.forEach.call(items, function (item) {
      item.setAttribute("data-digest-summary", "");
      var link = item.querySelector("a.md-search-result__link");
      var article = link && link.querySelector("article");
      var card = link && cardOf(byPage, pageOf(link));
      if (!article || !card) return;
      addCard(article, article.querySelector("h1, h2"), card, "", false);
    });
  }

  var PAGE = 10;
  var WAIT_FOR_SEARCH = 5000; // ms
  var pagefind = null;
  var runtimeLoaded = null;

  var engine = document.head && document.head.querySelector("meta[name=newsdigest-search]");
  var usePagefind = Boolean(engine && engine.getAttribute("content") === "pagefind");
  if (usePagefind) {
    materialSearch();
    // Pagefind's script, worker and WebAssembly and the newest articles' page list (about
    // 0.16 MB, the same at any size of archive) start loading now, as Material's search loads
    // its index with the page (this script runs last, after the page's own styles and
    // scripts): the first result then waits for the query's own parts only. The older shards'
    // page lists wait for the search box to be focused. A page without a search box (the
    // theme's search plugin removed) loads nothing.
    if (document.querySelector(".md-search")) runtime().catch(function () {});
  } else {
    new MutationObserver(function () {
      if (document.querySelector(".md-search-result__item:not([data-digest-summary])")) {
        load().then(annotate);
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  // Pagefind's script, started with the bundle's own index (the newest articles), and the
  // list of the older articles' shards.
  function runtime() {
    if (runtimeLoaded === null) {
      var listing = fetch(new URL("pagefind/shards.json", site), { cache: "no-cache" })
        .then(function (response) {
          if (!response.ok) throw new Error("pagefind/shards.json: HTTP " + response.status);
          return response.json();
        });
      var script = import(new URL("pagefind/pagefind.js", site).href).then(function (module) {
        // Result URLs are the records' (relative to the site), joined to the site's path.
        // Pagefind runs in its web worker (pagefind-worker.js): its WebAssembly is unpacked and
        // compiled there, not on the page's thread while the page is still starting.
        var options = { baseUrl: site.pathname };
        return Promise.resolve(module.options(options)).then(function () {
          return Promise.resolve(module.init && module.init());
        }).then(function () { return module; });
      });
      runtimeLoaded = Promise.all([script, listing]).catch(function (error) {
        runtimeLoaded = null; // the next query tries again (a fetch may have failed once)
        throw error;
      });
    }
    return runtimeLoaded;
  }

  // Every shard merged into the search (Pagefind's mergeIndex: each shard's small page list
  // now, its index parts per query). A shard's folder is named by a hash of its content, so
  // its files can be cached under that name (metaCacheTag).
  function engineLoaded() {
    if (pagefind === null) {
      pagefind = runtime().then(function (loaded) {
        var module = loaded[0];
        var shards = (loaded[1] && loaded[1].shards) || [];
        return Promise.all(shards.map(function (name) {
          if (!/^shard-[0-9a-f]+$/.test(name)) throw new Error("bad shard name " + name);
          var path = new URL("pagefind/" + name + "/", site).pathname;
          return module.mergeIndex(path, { baseUrl: site.pathname, metaCacheTag: name });
        })).then(function () {
          // Ready once every index has its page list (Pagefind holds a search back until
          // then, polling every 50 ms): an empty query returns as soon as they have.
          return module.search("");
        }).then(function () { return module; }).catch(function (error) {
          pagefind = null; // as above: the next query tries again
          throw error;
        });
      });
    }
    return pagefind;
  }

  // The "More articles" item closing a results list (Material's classes, or Zensical's).
  function moreButton(itemClass, buttonClass, onClick) {
    var li = document.createElement("li");
    li.className = itemClass;
    var button = text("button", buttonClass, "More articles");
    button.type = "button";
    button.addEventListener("click", onClick);
    li.appendChild(button);
    return li;
  }

  function text(tag, className, value) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    element.textContent = value;
    return element;
  }

  // Pagefind's excerpt is the article's text with < and > written as &lt; and &gt; and the
  // matched words in <mark>: everything else becomes text, so no tag of the article's lives.
  // (Pagefind leaves & as it is, so a literal "&lt;" in an article shows as "<".) underline:
  // the word inside the mark also in <u>, as Zensical marks its own matches.
  function excerpt(value, tag, className, underline) {
    var element = document.createElement(tag);
    element.className = className;
    var marked = false;
    String(value).split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") { marked = true; return; }
      if (part === "</mark>") { marked = false; return; }
      if (!part) return;
      var plain = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
      if (!marked) {
        element.appendChild(document.createTextNode(plain));
      } else if (underline) {
        var mark = document.createElement("mark");
        mark.appendChild(text("u", "", plain));
        element.appendChild(mark);
      } else {
        element.appendChild(text("mark", "", plain));
      }
    });
    return element;
  }

  function count(n) {
    if (n === 0) return "No matching articles";
    return n === 1 ? "1 matching article" : n.toLocaleString("en") + " matching articles";
  }

  // A record's URL as a link of this site: never a way out (or a javascript: link).
  function articleLink(data, className) {
    var url = new URL(String(data.url), site);
    var link = document.createElement("a");
    link.className = className;
    if (url.origin === site.origin) link.href = url.href;
    return link;
  }

  function metaLine(info) {
    return [info.date, info.source, info.topics].filter(Boolean).join(" · ");
  }

  // The article search behind a results view: view.box (hidden when the query is empty),
  // view.meta (the count line), view.list, view.item(data) and view.more(onClick) making list
  // items, view.shown(n) told how many articles matched. Returns search(query).
  function articleSearch(view) {
    var latest = 0;
    var running = Promise.resolve();
    var asked = "";
    var chosen = {};
    var filled = false;

    // Topic and month filters (Pagefind filters of every record), above the results: their
    // values come from the bundle the first time results show. Values are article data, so
    // they go into the page as text.
    var bar = document.createElement("div");
    bar.className = "digest-search-filters";
    bar.hidden = true;
    var topic = choice("topic", "All topics");
    var month = choice("month", "Any month");
    bar.appendChild(topic);
    bar.appendChild(month);
    view.box.insertBefore(bar, view.list);

    function choice(name, everything) {
      var select = document.createElement("select");
      select.name = name;
      select.setAttribute("aria-label", name === "topic" ? "Topic" : "Month");
      select.appendChild(text("option", "", everything));
      select.firstChild.value = "";
      select.addEventListener("change", function () {
        if (select.value) chosen[name] = select.value;
        else delete chosen[name];
        search(asked);
      });
      return select;
    }

    function option(value, label) {
      var element = text("option", "", label);
      element.value = value;
      return element;
    }

    function fill(module) {
      if (filled) return;
      filled = true;
      Promise.resolve(module.filters()).then(function (all) {
        var topics = Object.keys((all && all.topic) || {}).sort();
        topics.forEach(function (value) { topic.appendChild(option(value, value)); });
        // Newest first, under their year.
        var months = Object.keys((all && all.month) || {}).filter(function (value) {
          return /^[0-9]{4}-[0-9]{2}$/.test(value);
        }).sort().reverse();
        var group = null;
        months.forEach(function (value) {
          var year = value.slice(0, 4);
          if (!group || group.label !== year) {
            group = document.createElement("optgroup");
            group.label = year;
            month.appendChild(group);
          }
          var day = new Date(Date.UTC(Number(year), Number(value.slice(5)) - 1, 1));
          var name = day.toLocaleString("en", { month: "long", timeZone: "UTC" });
          group.appendChild(option(value, name + " " + year));
        });
        bar.hidden = topics.length === 0 && months.length === 0;
      }).catch(function (error) {
        filled = false;
        window.console.warn("newsdigest: article filters failed:", error);
      });
    }

    // Fragments are fetched for the results shown: ten at a time, more on request.
    function show(results, from, run) {
      return Promise.all(results.slice(from, from + PAGE).map(function (result) {
        return result.data();
      })).then(function (datas) {
        if (run !== latest) return;
        var more = view.list.querySelector(".digest-search-more");
        if (more) more.remove();
        datas.forEach(function (data) { view.list.appendChild(view.item(data)); });
        if (results.length > from + PAGE) {
          view.list.appendChild(view.more(function () { show(results, from + PAGE, run); }));
        }
      });
    }

    function search(query) {
      var run = ++latest;
      asked = query;
      query = query.trim();
      if (!query) {
        view.box.hidden = true;
        view.shown(0);
        return;
      }
      var filters = {};
      Object.keys(chosen).forEach(function (name) { filters[name] = chosen[name]; });
      var engine = null;
      // One Pagefind search at a time, the newest query's: Pagefind runs every search it is
      // given to its end, all at once, so a word typed letter by letter would have the last
      // letter's search finish after those of every shorter prefix (the shortest, matching
      // the most words, cost the most). A query typed past before its turn is not searched.
      var turn = running.then(engineLoaded).then(function (module) {
        if (run !== latest) return null;
        engine = module;
        return module.search(query, { filters: filters });
      });
      // A search that never ends (an index part whose download hangs) holds the next one back
      // for a few seconds at most.
      running = Promise.race([
        turn,
        new Promise(function (resolve) { window.setTimeout(resolve, WAIT_FOR_SEARCH); }),
      ]).catch(function () {});
      turn.then(function (found) {
        if (run !== latest || !found) return;
        while (view.list.firstChild) view.list.removeChild(view.list.firstChild);
        view.meta.textContent = count(found.results.length);
        view.box.hidden = false;
        // The query shown (tests wait for it; an attribute, never markup).
        view.box.setAttribute("data-query", query);
        view.shown(found.results.length);
        // The filters' values load after the first results, which do not wait for them.
        return show(found.results, 0, run).then(function () { fill(engine); });
      }).catch(function (error) {
        if (run !== latest) return;
        view.meta.textContent = "Article search is unavailable";
        view.box.hidden = false;
        window.console.warn("newsdigest: article search failed:", error);
      });
    }

    return search;
  }

  // Material: results go into its search panel with its own classes (same look, dark mode,
  // phone layout, arrow keys), above its results for the pages it still indexes.
  function materialSearch() {
    var input = document.querySelector("input.md-search__input[data-md-component=search-query]");
    var material = document.querySelector("[data-md-component=search-result]");
    if (!input || !material) return;
    var box = document.createElement("div");
    box.className = "digest-search";
    var meta = document.createElement("div");
    meta.className = "md-search-result__meta";
    var list = document.createElement("ol");
    list.className = "md-search-result__list";
    list.setAttribute("role", "presentation");
    box.appendChild(meta);
    box.appendChild(list);
    box.hidden = true;
    // Inside Material's result block, between its count line and its list (Material takes the
    // block's first and last children as those): its arrow keys then move through the article
    // results too, in page order. The stylesheet shows the articles first.
    material.insertBefore(box, material.lastElementChild);

    function item(data) {
      var info = data.meta || {};
      var li = document.createElement("li");
      li.className = "md-search-result__item";
      // Already carries its summary: the Material annotation above leaves it alone.
      li.setAttribute("data-digest-summary", "");
      var link = articleLink(data, "md-search-result__link");
      link.tabIndex = -1;
      var article = document.createElement("article");
      article.className = "md-search-result__article md-search-result__article--document md-typeset";
      var icon = document.createElement("div");
      icon.className = "md-search-result__icon md-icon";
      article.appendChild(icon);
      article.appendChild(text("h1", "", info.title || link.pathname));
      var line = metaLine(info);
      if (line) article.appendChild(text("p", "digest-search-meta", line));
      if (info.summary) article.appendChild(text("p", "digest-search-summary", info.summary));
      if (data.excerpt) {
        article.appendChild(excerpt(data.excerpt, "p", "digest-search-excerpt", false));
      }
      // Enter in the search box opens the result with the highest score among Material's and
      // these: articles come first, in Pagefind's order.
      article.setAttribute("data-md-score", String(1e6 - list.children.length));
      link.appendChild(article);
      li.appendChild(link);
      return li;
    }

    function more(onClick) {
      var item = "md-search-result__item digest-search-more";
      return moreButton(item, "digest-search-more__button", onClick);
    }

    var search = articleSearch({
      box: box,
      meta: meta,
      list: list,
      item: item,
      more: more,
      shown: function (n) {
        if (n) material.setAttribute("data-digest-articles", "");
        else material.removeAttribute("data-digest-articles");
      },
    });

    // The older shards' page lists start loading when the box is focused ("/" or a click), so
    // the first letters typed do not wait for them; the index's parts still come per query.
    input.addEventListener("focus", function () {
      engineLoaded().catch(function () {});
    });
    input.addEventListener("input", function () { search(input.value); });
    // The box's clear button resets the form, which fires no input event.
    if (input.form) {
      input.form.addEventListener("reset", function () {
        window.setTimeout(function () { search(input.value); }, 0);
      });
    }
    // A search opened from the address (?q=...): Material fills the box without an input event.
    input.addEventListener("focus", function () {
      if (input.value.trim() && box.hidden) search(input.value);
    });
    var asked = new URL(window.location.href).searchParams.get("q");
    if (asked) search(asked);
  }

  // Zensical (0.0.73): its search is its own dialog in an open shadow root, a Preact view
  // whose results container holds a status line, a listbox of a[role=option] results and a
  // spacer. Articles found through Pagefind go first in that container, in a block of ours
  // that is put back whenever Zensical's rendering moves it. Its items use the class names of
  // Zensical's own results (title, path line, excerpt), so they look the same in either
  // colour scheme; the page's stylesheet does not reach into the shadow root, so the block's
  // few other styles come with it. Zensical's own index then holds only the pages it still
  // searches (home, topics, the user's pages): its arrow keys move through those.
  var ZENSICAL_STYLE =
    ".digest-search{margin:var(--space-2,8px);margin-bottom:0}" +
    ".digest-search>ol{margin:0}" +
    ".digest-search-summary{position:relative;margin:0;font-size:13px;line-height:1.5}" +
    ".digest-search-more{display:flex;justify-content:center;list-style:none}" +
    ".digest-search-filters{display:flex;gap:8px;padding:0 10px 4px}" +
    ".digest-search-filters[hidden]{display:none}" +
    ".digest-search-filters select{font:inherit;font-size:12px;color:inherit;" +
    "background:rgb(var(--color-background-subtle));border:none;border-radius:4px;" +
    "padding:2px 4px;min-width:0}" +
    ".digest-search-more button{font:inherit;font-size:13px;color:var(--color-highlight);" +
    "background:none;border:none;padding:4px 8px;cursor:pointer}" +
    // Zensical's "No results" is about its own pages: under article results it would read as
    // if the articles were not there, so it goes while its list is empty.
    ".digest-search:not([hidden])~[role=status]:has(+ol[role=listbox]:empty){display:none}";

  function zensicalSearch(root) {
    var box = null;
    var search = null;
    var input = null;

    function view() {
      box = document.createElement("div");
      box.className = "digest-search";
      box.hidden = true;
      box.appendChild(text("style", "", ZENSICAL_STYLE));
      var meta = document.createElement("div");
      meta.className = "f";
      var list = document.createElement("ol");
      list.className = "h";
      box.appendChild(meta);
      box.appendChild(list);

      function item(data) {
        var info = data.meta || {};
        var li = document.createElement("li");
        var link = articleLink(data, "o");
        var body = document.createElement("div");
        body.className = "C";
        body.appendChild(text("h2", "x", info.title || link.pathname));
        if (info.summary) body.appendChild(text("p", "digest-search-summary", info.summary));
        var line = metaLine(info);
        if (line) {
          var path = document.createElement("menu");
          path.className = "n digest-search-meta";
          path.appendChild(text("li", "", line));
          body.appendChild(path);
        }
        if (data.excerpt) body.appendChild(excerpt(data.excerpt, "div", "p", true));
        link.appendChild(body);
        li.appendChild(link);
        return li;
      }

      function more(onClick) {
        return moreButton("digest-search-more", "", onClick);
      }

      search = articleSearch({
        box: box, meta: meta, list: list, item: item, more: more, shown: function () {},
      });
    }

    function place() {
      var field = root.querySelector("dialog input[role=combobox]");
      var listbox = root.querySelector("dialog ol[role=listbox]");
      var container = listbox && listbox.parentNode;
      if (!field || !container) return;
      if (search === null) view();
      if (field !== input) {
        input = field;
        field.addEventListener("input", function () { search(field.value); });
        engineLoaded().catch(function () {});
        if (field.value.trim()) search(field.value);
      }
      if (box.parentNode !== container || container.firstChild !== box) {
        container.insertBefore(box, container.firstChild);
      }
    }

    new MutationObserver(place).observe(root, { childList: true, subtree: true });
    place();
  }

  // Zensical's search is its own dialog inside an open shadow root (a <div> under <body>):
  // each result is an a[role=option] whose heading is the page's title. The summary goes
  // under it the same way; the page's stylesheet does not reach into the shadow root, so the
  // paragraph carries its few styles itself.
  var SELECTOR = "a[role=option]:not([data-digest-summary])";

  function annotateShadow(root, byPage) {
    Array.prototype.forEach.call(root.querySelectorAll(SELECTOR), function (link) {
      link.setAttribute("data-digest-summary", "");
      var card = cardOf(byPage, pageOf(link));
      var heading = link.querySelector("h1, h2, h3");
      if (!heading || !card) return;
      // position: relative, as Zensical's own lines: a result's highlight is a positioned
      // ::before that would otherwise be painted over the text.
      addCard(heading.parentNode, heading, card,
        "position: relative; margin: 0; font-size: 13px; line-height: 1.5", true);
    });
  }

  var watched = [];

  function watchShadowRoots() {
    Array.prototype.forEach.call(document.body.children, function (host) {
      var root = host.shadowRoot;
      if (!root || watched.indexOf(root) !== -1) return;
      watched.push(root);
      if (usePagefind) {
        zensicalSearch(root);
        return;
      }
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
