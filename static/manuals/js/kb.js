/* Small progressive enhancements: lazy sidebar tree, live preview, kind templates. */
(function () {
  "use strict";

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Sidebar: expand and collapse nodes; load children the first time.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".kb-tree-toggle");
    if (!toggle) return;
    var item = toggle.parentElement;
    var open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
    if (open || toggle.dataset.kbLoaded) return;
    toggle.dataset.kbLoaded = "1";
    fetch(toggle.dataset.kbChildrenUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { item.insertAdjacentHTML("beforeend", html); });
  });

  // The sidebar's "Contents" button on narrow screens: reading.js (with the menu).

  // Forms that cannot be undone ask first.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset && event.target.dataset.kbConfirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Language switch submits on change.
  document.querySelectorAll("[data-kb-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Editor: live preview through the server's own rendering pipeline.
  var editor = document.querySelector("[data-kb-editor]");
  if (editor) {
    var body = editor.querySelector("textarea[name=body]");
    var preview = editor.querySelector("[data-kb-preview]");
    var timer = null;
    var refresh = function () {
      var data = new FormData();
      data.append("body", body.value);
      fetch(editor.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() }
      }).then(function (r) { return r.json(); })
        .then(function (json) { preview.innerHTML = json.html; })
        .catch(function () {});
    };
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    refresh();

    // A new section's body starts from its kind's template, as long as the
    // editor has not typed anything of their own.
    var kind = editor.querySelector("select[name=kind]");
    var templatesNode = document.getElementById("kb-kind-templates");
    if (kind && templatesNode) {
      var templates = JSON.parse(templatesNode.textContent);
      kind.addEventListener("change", function () {
        var untouched = Object.keys(templates).some(function (k) {
          return templates[k].trim() === body.value.trim();
        });
        if (untouched) {
          body.value = templates[kind.value] || "";
          refresh();
        }
      });
    }
    // Presence: tell the server we are here; show who else is, and whether
    // someone saved since this page was opened.
    if (editor.dataset.heartbeatUrl) {
      var openedHead = editor.dataset.headNumber;
      var presence = document.querySelector("[data-kb-presence]");
      var changed = document.querySelector("[data-kb-head-changed]");
      var beat = function () {
        var data = new FormData();
        data.append("csrfmiddlewaretoken", csrfToken());
        fetch(editor.dataset.heartbeatUrl, { method: "POST", body: data, credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (json) {
            presence.hidden = json.others.length === 0;
            presence.querySelector("[data-kb-presence-names]").textContent = json.others.join(", ");
            if (openedHead && json.head && String(json.head) !== openedHead) {
              changed.hidden = false;
              changed.querySelector("[data-kb-head-author]").textContent = json.head_author ? "(" + json.head_author + ")" : "";
            }
          }).catch(function () {});
      };
      beat();
      setInterval(beat, 20000);
    }

    // Autosave: the text is kept as a per-user draft a few seconds after typing
    // stops and when the page is left, so a crash loses at most a few seconds.
    if (editor.dataset.autosaveUrl) {
      var status = editor.querySelector("[data-kb-autosave-status]");
      var dirty = false, submitting = false, saveTimer = null;
      var draftData = function () {
        var data = new FormData(editor);
        data.delete("publish"); data.delete("review"); data.delete("save");
        return data;
      };
      var autosave = function () {
        if (!dirty) return;
        dirty = false;
        fetch(editor.dataset.autosaveUrl, { method: "POST", body: draftData(), credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (json) { if (json.saved && status) status.textContent = status.dataset.label + " " + json.at; })
          .catch(function () { dirty = true; });
      };
      editor.addEventListener("input", function () {
        dirty = true;
        clearTimeout(saveTimer);
        saveTimer = setTimeout(autosave, 3000);
      });
      editor.addEventListener("submit", function () { submitting = true; });
      window.addEventListener("pagehide", function () {
        if (dirty && !submitting && navigator.sendBeacon) {
          navigator.sendBeacon(editor.dataset.autosaveUrl, draftData());
        }
      });
    }

    // Block picker: search the library and insert a directive at the cursor.
    var picker = editor.querySelector("[data-kb-picker]");
    if (picker) {
      var panel = picker.querySelector(".kb-picker-panel");
      var q = picker.querySelector("[data-kb-picker-q]");
      var results = picker.querySelector("[data-kb-picker-results]");
      var pin = picker.querySelector("[data-kb-picker-pin]");
      var search = function () {
        fetch(picker.dataset.url + "?q=" + encodeURIComponent(q.value), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (json) {
            results.innerHTML = "";
            json.results.forEach(function (item) {
              var li = document.createElement("li");
              var button = document.createElement("button");
              button.type = "button";
              button.className = "kb-link-button";
              button.dataset.key = item.key;
              button.textContent = item.title + " ";
              var code = document.createElement("code");
              code.textContent = item.key;
              button.appendChild(code);
              button.addEventListener("click", function () {
                var directive = pin.checked && item.revision
                  ? "{{block:" + item.key + "@" + item.revision + "}}" : item.directive;
                var at = body.selectionStart || body.value.length;
                var before = body.value.slice(0, at), after = body.value.slice(at);
                var lead = before && !before.endsWith("\n") ? "\n\n" : "";
                body.value = before + lead + directive + "\n" + after;
                body.dispatchEvent(new Event("input", { bubbles: true }));
                panel.hidden = true;
              });
              li.appendChild(button);
              var meta = document.createElement("span");
              meta.className = "kb-meta";
              meta.textContent = " " + item.visibility;
              li.appendChild(meta);
              results.appendChild(li);
            });
          });
      };
      var pickTimer = null;
      picker.querySelector("[data-kb-picker-open]").addEventListener("click", function (event) {
        panel.hidden = !panel.hidden;
        event.target.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
        if (!panel.hidden) { search(); q.focus(); }
      });
      q.addEventListener("input", function () { clearTimeout(pickTimer); pickTimer = setTimeout(search, 200); });
      q.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    }

    var visibility = editor.querySelector("select[name=visibility]");
    var groups = editor.querySelector(".kb-groups");
    if (visibility && groups) {
      var sync = function () { groups.hidden = visibility.value !== "restricted"; };
      visibility.addEventListener("change", sync);
      sync();
    }
  }
})();
