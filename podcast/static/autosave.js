// The episode form keeps a draft on the server as the producer types: a second and a half after
// typing stops, and when the tab is hidden or closed (a keepalive request outlives the page).
// The form restores it when it opens again (views/admin/episodes.py). Files are not drafted.
// Without this file nothing is autosaved; the form works as before.
(function () {
  "use strict";

  var QUIET_MS = 1500;

  function setupAutosave(form) {
    var url = form.getAttribute("data-autosave-url");
    if (!url || !window.fetch || !window.FormData || !window.URLSearchParams) return;
    var timer = null;
    var changed = false;
    var stopped = false;

    // Text only, url-encoded: the files stay out, and the body fits a keepalive request.
    function body() {
      var data = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string") data.append(name, value);
      });
      return data;
    }

    function send(leaving) {
      window.clearTimeout(timer);
      if (!changed || stopped) return;
      changed = false;
      var token = form.querySelector("input[name=csrf_token]");
      fetch(url, {
        method: "POST",
        body: body(),
        credentials: "same-origin",
        keepalive: leaving,
        headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" }
      })
        .then(function (response) {
          // 409: the episode was saved since this form opened; its drafts would be dropped.
          if (response.status === 409) stopped = true;
          else if (!response.ok && response.status !== 413) changed = true;
        })
        .catch(function () { changed = true; }); // offline, or over keepalive's size: next time
    }

    function typed() {
      changed = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { send(false); }, QUIET_MS);
    }

    form.addEventListener("input", typed);
    form.addEventListener("change", typed);
    // A submitted form is saved (or re-shown with what it holds): no draft after it.
    form.addEventListener("submit", function () {
      stopped = true;
      window.clearTimeout(timer);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") send(true);
    });
    window.addEventListener("pagehide", function () { send(true); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.episode-form[data-autosave-url]");
    for (var i = 0; i < forms.length; i++) setupAutosave(forms[i]);
  });
})();
