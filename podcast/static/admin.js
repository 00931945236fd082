// The admin's progressive enhancements: audio upload with progress and cancel, Markdown
// preview, the Publish button that says what it will do, a warning before leaving unsaved
// changes, the focus on a refused form's summary of problems, and Copy buttons. Every form
// works without this file; CSP forbids inline scripts, so all behaviour lives here.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // The server renders every sentence in the producer's language (admin/layout.html, which is
  // the only page that loads this file; the words live in views/admin/script_words.py).
  var WORDS = (function () {
    var block = document.getElementById("admin-words");
    try { return block ? JSON.parse(block.textContent) : {}; } catch (e) { return {}; }
  })();
  var LANG = document.documentElement.lang || "en";

  function say(key, values) {
    var text = WORDS[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function formatNumber(value, digits) {
    try {
      return new Intl.NumberFormat(LANG, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
    } catch (e) { return value.toFixed(digits); }
  }

  function formatBytes(size) {
    if (size < 1000) return say("bytes", { size: formatNumber(size, 0) });
    var units = ["kb", "mb", "gb"];
    var value = size;
    var unit = "bytes";
    for (var i = 0; i < units.length && value >= 1000; i++) {
      value /= 1000;
      unit = units[i];
    }
    return say(unit, { size: formatNumber(value, 1) });
  }

  function formatDuration(seconds) {
    var total = Math.floor(seconds || 0);  // as the player shows it
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function errorMessage(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      if (body && body.error) return (body.error.fields && body.error.fields.audio) || body.error.message;
    } catch (e) { /* not JSON: fall through */ }
    if (xhr.status === 413) return say("too_large");
    return say("failed_status", { status: xhr.status || say("network_error") });
  }

  function setupAudio(form) {
    var box = form.querySelector("#audio-field");
    var input = box && box.querySelector("input[type=file]");
    if (!box || !input || !window.XMLHttpRequest || !window.FormData) return;
    var progressBox = box.querySelector("#audio-progress-box");
    var progress = box.querySelector("#audio-progress");
    var progressText = box.querySelector("#audio-progress-text");
    var cancel = box.querySelector("#audio-cancel");
    var error = box.querySelector("#audio-error");
    var hidden = form.querySelector("#staged_audio_id");
    var info = box.querySelector("#audio-info");
    var buttons = form.querySelectorAll("button[type=submit]");
    var maxBytes = parseInt(box.getAttribute("data-max-bytes"), 10) || 0;
    var current = null;

    function busy(on) {
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = on;
      form.setAttribute("aria-busy", on ? "true" : "false");
    }

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
      box.classList.toggle("has-error", !!message);
    }

    function showInfo(asset) {
      info.hidden = false;
      box.querySelector("#audio-info-heading").textContent = say("kept");
      box.querySelector("#audio-filename").textContent = asset.filename || "";
      box.querySelector("#audio-duration").textContent = formatDuration(asset.duration_seconds);
      box.querySelector("#audio-format").textContent = asset.mime_type;
      box.querySelector("#audio-size").textContent = formatBytes(asset.size_bytes);
      var list = box.querySelector("#audio-warnings");
      list.textContent = "";
      (asset.warnings || []).forEach(function (warning) {
        var item = document.createElement("li");
        item.textContent = warning;
        list.appendChild(item);
      });
    }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      showError("");
      if (maxBytes && file.size > maxBytes) {
        showError(say("over_limit", { size: formatBytes(file.size), limit: formatBytes(maxBytes) }));
        input.value = "";
        return;
      }
      var data = new FormData();
      data.append("audio", file, file.name);
      var episodeId = box.getAttribute("data-episode-id") || "";
      var xhr = new XMLHttpRequest();
      current = xhr;
      // The episode travels in the URL: the server names the file's key before the body is in.
      xhr.open("POST", box.getAttribute("data-upload-url") + (episodeId ? "?episode_id=" + encodeURIComponent(episodeId) : ""));
      xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
      xhr.setRequestHeader("Accept", "application/json");
      progress.value = 0;
      progressText.textContent = say("progress", { done: formatBytes(0), total: formatBytes(file.size), percent: 0 });
      progressBox.hidden = false;
      cancel.hidden = false;
      busy(true);
      xhr.upload.onprogress = function (event) {
        var total = event.lengthComputable ? event.total : file.size;
        var percent = total ? Math.floor((event.loaded / total) * 100) : 0;
        progress.value = percent;
        progressText.textContent = say("progress", { done: formatBytes(event.loaded), total: formatBytes(total), percent: percent });
      };
      xhr.onload = function () {
        current = null;
        busy(false);
        cancel.hidden = true;
        if (xhr.status === 201) {
          var asset = JSON.parse(xhr.responseText);
          progress.value = 100;
          progressText.textContent = say("read_and_kept", { done: formatBytes(asset.size_bytes), total: formatBytes(asset.size_bytes) });
          hidden.value = String(asset.id);
          input.value = ""; // the file is staged: never send it twice
          showInfo(asset);
          // chapters-editor.js fills its rows from the file's own chapters.
          form.dispatchEvent(new CustomEvent("audio-staged", { detail: asset }));
        } else {
          progressBox.hidden = true;
          input.value = "";
          showError(errorMessage(xhr));
        }
      };
      xhr.onerror = function () {
        current = null;
        busy(false);
        progressBox.hidden = true;
        input.value = "";
        showError(say("connection_lost"));
      };
      xhr.onabort = function () {
        current = null;
        busy(false);
        progressBox.hidden = true;
        input.value = "";
        showError(say("cancelled"));
      };
      xhr.send(data);
    });

    cancel.addEventListener("click", function () {
      if (current) current.abort();
    });
  }

  function setupPreview(form) {
    var wrapper = form.querySelector(".markdown-field[data-preview-url]");
    var button = form.querySelector("#preview-button");
    if (!wrapper || !button || !window.fetch) return;
    var textarea = wrapper.querySelector("textarea");
    var section = wrapper.querySelector("#description-preview");
    var body = section.querySelector(".preview-body");
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var data = new FormData();
      data.append("text", textarea.value);
      fetch(wrapper.getAttribute("data-preview-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) { return response.json(); })
        .then(function (json) {
          // Sanitized by the server with the same allow-list as the public page.
          if (json.error) body.textContent = json.error.message;
          else body.innerHTML = json.html;
          section.hidden = false;
        })
        .catch(function () {
          body.textContent = say("preview_failed");
          section.hidden = false;
        });
    });
  }

  // The publish button says what it will do: Schedule for a future date, Update for a live
  // episode, Publish now without a date (the server renders the same label: views/admin/episodes.py).
  function setupPublishLabel(form) {
    var when = form.querySelector("#publish_at");
    var button = form.querySelector("#publish-button");
    if (!when || !button) return;
    var live = button.getAttribute("data-live") === "true";
    function update() {
      var now = when.getAttribute("data-now-local") || "";
      var value = when.value;
      if (value && value > now) button.textContent = say("schedule");
      else if (live) button.textContent = say("update");
      else button.textContent = say(value ? "publish" : "publish_now");
    }
    when.addEventListener("input", update);
    when.addEventListener("change", update);
    update();
  }

  // Leaving a form with changes not yet saved asks first; submitting it does not. A form
  // re-rendered after a refused save holds unsaved work from the start.
  function setupUnsavedWarning(form) {
    function warn(event) {
      event.preventDefault();
      event.returnValue = "";
      return "";
    }
    var dirty = false;
    function mark() {
      if (dirty) return;
      dirty = true;
      window.addEventListener("beforeunload", warn);
    }
    if (form.getAttribute("data-unsaved") === "true") mark();
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
    form.addEventListener("submit", function () {
      window.removeEventListener("beforeunload", warn);
    });
  }

  // A refused save: the summary of every problem takes the focus (autofocus alone is not
  // honoured everywhere), so a keyboard or screen reader user starts from it.
  // Its links bring the focus to their field, not only the scroll position.
  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (!summary) return;
    if (document.activeElement !== summary) summary.focus();
    var links = summary.querySelectorAll("a[href^='#']");
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener("click", function (event) {
        var target = document.getElementById(this.getAttribute("href").slice(1));
        if (!target) return;
        event.preventDefault();
        target.scrollIntoView({ block: "center" });
        target.focus();
      });
    }
  }

  // Jobs page: each unfinished job polls its status and moves its bar; when one ends, the page
  // reloads to show its result, error and buttons. Without this file the page reloads itself.
  var JOB_POLL_MS = 1500;
  var FINAL_STATES = ["done", "failed", "cancelled"];

  function setupJob(row) {
    var url = row.getAttribute("data-job-status");
    var bar = row.querySelector(".job-progress");
    var percent = row.querySelector(".job-percent");
    var message = row.querySelector(".job-message");
    var state = row.querySelector(".job-state");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (job) {
          if (!job) return;
          bar.value = job.progress;
          bar.textContent = job.progress + "%";
          percent.textContent = job.progress + "%";
          message.textContent = job.message;
          if (FINAL_STATES.indexOf(job.state) >= 0) {
            window.location.reload();
            return;
          }
          state.firstChild.textContent = say("state_" + job.state);
          window.setTimeout(poll, JOB_POLL_MS);
        })
        .catch(function () { window.setTimeout(poll, JOB_POLL_MS * 4); });
    }
    window.setTimeout(poll, JOB_POLL_MS);
  }

  // A Copy button beside a readonly field (the embed code): shown only when it can work.
  function setupCopy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var box = button.closest(".copy-field");
    var status = box ? box.querySelector(".copy-status") : null;
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) status.textContent = say("copied"); };
      var fallback = function () {
        field.focus();
        field.select();
        try {
          document.execCommand("copy");
          done();
        } catch (error) {
          if (status) status.textContent = say("copy_failed");
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var copies = document.querySelectorAll("button[data-copy]");
    for (var c = 0; c < copies.length; c++) setupCopy(copies[c]);
    var jobs = document.querySelectorAll("tr[data-job-status]");
    for (var j = 0; j < jobs.length && window.fetch; j++) setupJob(jobs[j]);
    var forms = document.querySelectorAll("form.episode-form");
    for (var i = 0; i < forms.length; i++) {
      setupAudio(forms[i]);
      setupPreview(forms[i]);
      setupPublishLabel(forms[i]);
      setupUnsavedWarning(forms[i]);
    }
    focusErrorSummary();
  });
})();
