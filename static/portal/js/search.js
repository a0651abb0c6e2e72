/* Client-side search of the static portal export, over window.KB_SEARCH_INDEX.

   The index holds each page's public text and, where folding changes it, a key
   folded at export time (Traditional -> Simplified, full-width -> ASCII, lower case)
   with the same offsets. Queries are folded here with the exported T->S table and
   matched as substrings, so Chinese needs no segmenter. Every query word must
   match; a long Chinese run also matches when most of its two-character pieces do.
   When nothing has every word, pages with some of them are shown instead. */
(function () {
  "use strict";

  var index = window.KB_SEARCH_INDEX;
  var input = document.getElementById("portal-q");
  var list = document.getElementById("portal-search-results");
  var status = document.getElementById("portal-search-status");
  if (!index || !list || !status) return;

  var t2s = index.t2s || {};
  var TERM = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9a-z]+/g;
  var CJK = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  var MAX = 50;

  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      var code = text.charCodeAt(i);
      if (code >= 0xff01 && code <= 0xff5e) ch = String.fromCharCode(code - 0xfee0);
      else if (code === 0x3000) ch = " ";
      out += t2s[ch] || ch;
    }
    return out.toLowerCase();
  }

  function keyOf(doc) {
    if (!doc._k) doc._k = doc.k || (doc.t + "\n" + doc.b).toLowerCase();
    return doc._k;
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function bigrams(term) {
    var out = [];
    for (var i = 0; i + 1 < term.length; i++) out.push(term.substr(i, 2));
    return out;
  }

  // How well `term` matches `key`: 0 (not at all) to 1 (as a whole), and where.
  function match(term, key) {
    var at = key.indexOf(term);
    if (at !== -1) return { score: 1, at: at, pieces: [term] };
    if (term.length > 2 && CJK.test(term)) {
      var grams = bigrams(term), found = [], first = -1;
      grams.forEach(function (g) {
        var pos = key.indexOf(g);
        if (pos !== -1) { found.push(g); if (first === -1 || pos < first) first = pos; }
      });
      if (found.length / grams.length >= 0.6) {
        return { score: found.length / grams.length, at: first, pieces: found };
      }
    }
    return { score: 0, at: -1, pieces: [] };
  }

  function highlight(text, folded, pieces) {
    // Mark every piece in `text`, finding them in its folded twin (same offsets).
    var marks = [];
    pieces.forEach(function (p) {
      var from = 0, pos;
      while (p && (pos = folded.indexOf(p, from)) !== -1) {
        marks.push([pos, pos + p.length]);
        from = pos + p.length;
      }
    });
    marks.sort(function (a, b) { return a[0] - b[0]; });
    var html = "", last = 0;
    marks.forEach(function (m) {
      if (m[0] < last) return;
      html += escapeHtml(text.slice(last, m[0])) + "<mark>" + escapeHtml(text.slice(m[0], m[1])) + "</mark>";
      last = m[1];
    });
    return html + escapeHtml(text.slice(last));
  }

  function snippet(doc, key, at, pieces) {
    var offset = doc.t.length + 1;  // the key is "title\nbody"
    var bodyKey = key.slice(offset);
    var pos = Math.max(0, at - offset);
    var start = Math.max(0, pos - 40);
    var end = Math.min(doc.b.length, start + 140);
    var html = highlight(doc.b.slice(start, end), bodyKey.slice(start, end), pieces);
    return (start > 0 ? "…" : "") + html + (end < doc.b.length ? "…" : "");
  }

  function search(query) {
    var terms = fold(query).match(TERM) || [];
    terms = terms.filter(function (t, i) { return terms.indexOf(t) === i; });
    if (!terms.length) return { hits: [], partial: false };
    function run(all) {
      var hits = [];
      index.docs.forEach(function (doc) {
        var key = keyOf(doc), score = 0, pieces = [], at = -1, matched = 0;
        var titleLen = doc.t.length;
        terms.forEach(function (term) {
          var m = match(term, key);
          if (!m.score) return;
          matched += 1;
          pieces = pieces.concat(m.pieces);
          score += m.score * (m.at < titleLen ? 10 : 1);
          if (at === -1 || (m.at > titleLen && (at < titleLen || m.at < at))) at = m.at;
        });
        if (!matched || (all && matched < terms.length)) return;
        hits.push({ doc: doc, score: score + matched * 5, at: at, pieces: pieces });
      });
      hits.sort(function (a, b) { return b.score - a.score; });
      return hits;
    }
    var hits = run(true), partial = false;
    if (!hits.length && terms.length > 1) { hits = run(false); partial = hits.length > 0; }
    return { hits: hits, partial: partial };
  }

  function show(query) {
    list.innerHTML = "";
    if (!query.trim()) { status.textContent = ""; return; }
    var found = search(query);
    var hits = found.hits;
    if (!hits.length) { status.textContent = status.dataset.none; return; }
    var count = hits.length === 1 ? status.dataset.one : status.dataset.results.replace("%(count)s", hits.length);
    status.textContent = found.partial ? status.dataset.partial + " " + count : count;
    hits.slice(0, MAX).forEach(function (hit) {
      var doc = hit.doc, key = keyOf(doc);
      var li = document.createElement("li");
      var titleKey = key.slice(0, doc.t.length);
      li.innerHTML =
        '<a class="portal-result-title" href="' + escapeHtml(doc.u) + '">' +
        highlight(doc.t, titleKey, hit.pieces) + "</a>" +
        (doc.p ? '<p class="portal-result-path">' + escapeHtml(doc.p) + "</p>" : "") +
        '<p class="portal-result-snippet">' + snippet(doc, key, hit.at, hit.pieces) + "</p>";
      list.appendChild(li);
    });
  }

  var query = new URLSearchParams(window.location.search).get("q") || "";
  if (input) input.value = query;
  show(query);
  window.kbPortalSearch = search;  // for tests and the curious
})();
