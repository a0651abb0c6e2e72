/* Everyday reading: folding panels on narrow screens (menu, contents, filters),
   copy buttons on embedded blocks and code, scrolling tables, keyboard shortcuts
   (/ search, Ctrl/Cmd+S save in the editors, Esc close). */
(function () {
  "use strict";

  var strings = (document.getElementById("kb-i18n") || document.body).dataset;

  // --- panels behind a button: aria-expanded on the button, is-open on the panel.
  // Wide screens show the panels whatever the state (the CSS only folds them on
  // narrow ones), so the state matters only where the button is visible.
  var TOGGLES = "[data-kb-menu-toggle], [data-kb-toggle-sidebar], [data-kb-facets-toggle]";

  function panelOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function setOpen(button, open) {
    var panel = panelOf(button);
    if (!panel) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    panel.classList.toggle("is-open", open);
  }

  document.querySelectorAll(TOGGLES).forEach(function (button) {
    button.addEventListener("click", function () {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    });
  });

  // --- tables in articles scroll sideways instead of widening the page.
  document.querySelectorAll(".kb-body:not(.kb-preview) table").forEach(function (table) {
    if (table.parentElement.classList.contains("kb-table-scroll")) return;
    var wrap = document.createElement("div");
    wrap.className = "kb-table-scroll";
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
  });

  // --- copy buttons: agents paste scripts (embedded blocks) and codes into chat.
  var status = document.createElement("div");
  status.className = "kb-visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  function contentOf(target) {
    var clone = target.cloneNode(true);
    clone.querySelectorAll(".kb-copy, .kb-block-label").forEach(function (n) { n.remove(); });
    if (target.tagName === "PRE") {
      return { text: clone.textContent.replace(/\n$/, ""), html: clone.outerHTML };
    }
    // innerText (line breaks between paragraphs and list items) needs a rendered
    // element: the clone is laid out off-screen for a moment.
    var scratch = document.createElement("div");
    scratch.className = "kb-copy-scratch";
    scratch.appendChild(clone);
    document.body.appendChild(scratch);
    var text = clone.innerText.trim();
    scratch.remove();
    return { text: text, html: clone.innerHTML.trim() };
  }

  function copyByHand(text) {
    // Without the clipboard API (a page served over plain http): a selected field.
    return new Promise(function (resolve, reject) {
      var field = document.createElement("textarea");
      field.className = "kb-copy-scratch";
      field.value = text;
      document.body.appendChild(field);
      field.select();
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      field.remove();
      if (done) { resolve(); } else { reject(new Error("copy")); }
    });
  }

  function writeClipboard(content) {
    var clipboard = navigator.clipboard;
    if (!clipboard) return copyByHand(content.text);
    var plain = function () { return clipboard.writeText(content.text); };
    if (window.ClipboardItem && clipboard.write) {
      // Rich text as well, for chat tools that keep bold and lists.
      var item = new window.ClipboardItem({
        "text/plain": new Blob([content.text], { type: "text/plain" }),
        "text/html": new Blob([content.html], { type: "text/html" })
      });
      return clipboard.write([item]).catch(plain);
    }
    return plain();
  }

  function addCopyButton(target, holder) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "kb-copy";
    button.textContent = strings.copy || "Copy";
    button.setAttribute("aria-label", strings.copyLabel || strings.copy || "Copy");
    var timer = null;
    button.addEventListener("click", function () {
      writeClipboard(contentOf(target)).then(function () {
        button.textContent = strings.copied || "Copied";
        button.classList.add("is-copied");
        status.textContent = strings.copied || "Copied";
      }, function () {
        status.textContent = strings.copyFailed || "";
        button.title = strings.copyFailed || "";
      }).then(function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          button.textContent = strings.copy || "Copy";
          button.classList.remove("is-copied");
          status.textContent = "";
        }, 2000);
      });
    });
    holder.insertBefore(button, holder.firstChild);
  }

  document.querySelectorAll(".kb-body:not(.kb-preview) .kb-block").forEach(function (block) {
    addCopyButton(block, block);
  });
  document.querySelectorAll(".kb-body:not(.kb-preview) pre").forEach(function (pre) {
    var wrap = document.createElement("div");
    wrap.className = "kb-code";
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(pre);
    addCopyButton(pre, wrap);
  });

  // --- keyboard shortcuts (listed on /search/keys/).
  function typing(element) {
    if (!element || element === document.body) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  var saving = false;
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented) return;
    var key = event.key;
    // "/" jumps to the search box (the results page's own box where there is one).
    if (key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      var box = document.getElementById("kb-search-page-q") || document.getElementById("kb-search-q");
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
      return;
    }
    // Ctrl+S / Cmd+S in an editor saves a draft instead of saving the web page.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (key === "s" || key === "S")) {
      var editor = document.querySelector("form[data-kb-editor]");
      var save = editor && editor.querySelector("button[name=save]");
      if (!save) return;
      event.preventDefault();
      if (saving) return;
      saving = true;
      if (editor.requestSubmit) { editor.requestSubmit(save); } else { save.click(); }
      // A form the browser refused (a required field left empty) may be saved again.
      setTimeout(function () { saving = false; }, 1500);
      return;
    }
    if (key === "Escape") closeAll();
  });

  // Esc closes whatever is open: the folded panels, the block picker, and moves
  // focus back to the button that opened the panel it was in.
  function closeAll() {
    var active = document.activeElement;
    document.querySelectorAll(TOGGLES).forEach(function (button) {
      if (button.getAttribute("aria-expanded") !== "true") return;
      var panel = panelOf(button);
      setOpen(button, false);
      if (panel && active && panel.contains(active) && button.offsetParent !== null) button.focus();
    });
    document.querySelectorAll("[data-kb-picker]").forEach(function (picker) {
      var panel = picker.querySelector(".kb-picker-panel");
      var opener = picker.querySelector("[data-kb-picker-open]");
      if (!panel || panel.hidden) return;
      panel.hidden = true;
      if (opener) {
        opener.setAttribute("aria-expanded", "false");
        if (panel.contains(active)) opener.focus();
      }
    });
  }
})();
