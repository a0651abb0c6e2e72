/* The article survey without a page reload; the plain form post works without it. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-kb-survey-form]");
    if (!form || !window.fetch) return;
    event.preventDefault();
    var data = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    var box = form.closest("[data-kb-survey]");
    box.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (!html) { form.submit(); return; }
        box.outerHTML = html;
        var fresh = document.getElementById("kb-survey");
        var status = fresh && fresh.querySelector("[role=status], [role=alert]");
        if (status) { status.setAttribute("tabindex", "-1"); status.focus(); }
      });
    }).catch(function () { form.submit(); });
  });
})();
