/* Search-as-you-type: section titles under the header search box (debounced). */
(function () {
  "use strict";
  var form = document.querySelector("form[data-kb-suggest-url]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector(".kb-search-suggestions");
  var url = form.dataset.kbSuggestUrl;
  var timer = null;
  var lastQuery = "";
  var active = -1;

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
  }

  function render(results) {
    list.innerHTML = "";
    results.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "kb-suggestion-" + i;
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;  // text, never HTML
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }

  function fetchSuggestions() {
    var q = input.value.trim();
    if (q === lastQuery) return;
    lastQuery = q;
    if (!q) { close(); return; }
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { if (input.value.trim() === q) render(data.results || []); })
      .catch(close);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 200);
  });

  input.addEventListener("keydown", function (event) {
    var items = list.querySelectorAll("li");
    if (event.key === "Escape") { close(); return; }
    if (!items.length || (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Enter")) return;
    if (event.key === "Enter") {
      if (active >= 0) { event.preventDefault(); items[active].querySelector("a").click(); }
      return;
    }
    event.preventDefault();
    active = (active + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
    items.forEach(function (li, i) { li.classList.toggle("is-active", i === active); });
    input.setAttribute("aria-activedescendant", items[active].id);
  });

  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) close();
  });
})();
