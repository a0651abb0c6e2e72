// The people screens: copy a set-password link with one click.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-copy]");
    if (!button) return;
    var box = button.parentElement;
    var input = box.querySelector("[data-kb-copy-source]");
    var done = box.querySelector("[data-kb-copied]");
    input.select();
    var shown = function () { if (done) done.hidden = false; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(shown, function () {});
    } else if (document.execCommand("copy")) {
      shown();
    }
  });
})();
