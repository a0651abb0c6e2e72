/* The article survey without a page reload; the plain form post works without it.
   A refused answer comes back as JSON errors: they are shown above the form, and the
   form keeps everything the reader chose and typed. */
(function () {
  "use strict";

  function showErrors(form, errors) {
    var box = form.querySelector("[data-kb-survey-errors]");
    if (!box) {
      box = document.createElement("div");
      box.className = "kb-form-errors";
      box.setAttribute("role", "alert");
      box.setAttribute("data-kb-survey-errors", "");
      form.insertBefore(box, form.querySelector(".kb-survey-head"));
    }
    box.textContent = "";
    Object.keys(errors).forEach(function (field) {
      errors[field].forEach(function (error) {
        var p = document.createElement("p");
        p.textContent = error.message;
        box.appendChild(p);
      });
      var input = form.querySelector("[name=" + field + "]");
      if (input && input.tagName === "TEXTAREA") input.setAttribute("aria-invalid", "true");
    });
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

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
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === 0) {
        return response.json().then(function (json) {
          box.removeAttribute("aria-busy");
          showErrors(form, json.errors || {});
        });
      }
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
