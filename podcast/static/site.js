// Progressive enhancement for the listeners' pages: every page works without this file.
// Chapter and transcript links seek the player in place; copy buttons copy the feed address
// or the embed code.
(function () {
  "use strict";

  var player = document.getElementById("player");

  function seekTo(seconds, play) {
    if (!player || !isFinite(seconds)) return;
    var apply = function () {
      player.currentTime = seconds;
      if (play) {
        var started = player.play();
        if (started && started.catch) started.catch(function () {});
      }
    };
    // Seeking before the metadata is known is lost in some browsers: wait for it.
    if (player.readyState >= 1) apply();
    else player.addEventListener("loadedmetadata", apply, { once: true });
  }

  function fromHash() {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    return match ? parseFloat(match[1]) : null;
  }

  if (player) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-seek]") : null;
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      var seconds = parseFloat(link.getAttribute("data-seek"));
      seekTo(seconds, true);
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", "#t=" + link.getAttribute("data-seek"));
      }
      player.focus();
    });
    // The waveform (drawn by the server) shades what has played; a click on it seeks there.
    var wave = document.querySelector("svg[data-waveform]");
    var played = wave ? wave.querySelector(".waveform__progress") : null;
    if (wave && played) {
      var width = wave.viewBox.baseVal.width;
      var shade = function () {
        var share = player.duration > 0 ? player.currentTime / player.duration : 0;
        played.setAttribute("width", String(Math.max(0, Math.min(1, share)) * width));
      };
      ["timeupdate", "seeked", "loadedmetadata", "durationchange"].forEach(function (name) {
        player.addEventListener(name, shade);
      });
      wave.setAttribute("data-seekable", "");
      wave.addEventListener("click", function (event) {
        var box = wave.getBoundingClientRect();
        if (!(player.duration > 0) || box.width <= 0) return;
        seekTo(((event.clientX - box.left) / box.width) * player.duration, false);
      });
      shade();
    }
    // A shared link such as /episodes/x#t=90 starts at 90 s.
    var start = fromHash();
    if (start !== null) seekTo(start, false);
    window.addEventListener("hashchange", function () {
      var seconds = fromHash();
      if (seconds !== null) seekTo(seconds, true);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.closest(".copy-field").querySelector(".copy-status");
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      // The sentences come from the page, in its language; English if an old page lacks them.
      var copied = button.getAttribute("data-copied") || "Copied the feed address.";
      var failed = button.getAttribute("data-copy-failed") || "Select the address and copy it.";
      var done = function () { if (status) status.textContent = copied; };
      var fallback = function () {
        field.focus();
        field.select();
        try {
          document.execCommand("copy");
          done();
        } catch (error) {
          if (status) status.textContent = failed;
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
})();
