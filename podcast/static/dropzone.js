// Drag and drop onto the episode form's file inputs: each <input type=file> is wrapped in a
// zone that takes a dropped file as if it had been chosen with the picker (the input's own
// "change" fires, so the audio upload starts as it does from the picker). The input stays
// the control: it keeps its label, its place in the tab order and the keyboard's picker.
// Without this file the plain input works as before.
(function () {
  "use strict";

  var WORDS = (function () {
    var block = document.getElementById("admin-words");
    try { return block ? JSON.parse(block.textContent) : {}; } catch (e) { return {}; }
  })();

  function say(key, values) {
    var text = WORDS[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }

  function setupZone(input) {
    var zone = document.createElement("div");
    zone.className = "dropzone";
    var prompt = document.createElement("p");
    prompt.className = "dropzone__prompt";
    prompt.setAttribute("aria-hidden", "true");  // the input's label says what to choose
    prompt.textContent = say("drop_here");
    var chosen = document.createElement("p");
    chosen.className = "dropzone__name";
    chosen.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(zone, input);
    zone.appendChild(prompt);
    zone.appendChild(input);
    zone.appendChild(chosen);

    function showName() {
      var file = input.files && input.files[0];
      chosen.textContent = file ? say("chosen_file", { name: file.name }) : "";
      zone.classList.toggle("dropzone--chosen", !!file);
    }

    var depth = 0;  // dragenter/dragleave fire for every child the pointer crosses
    zone.addEventListener("dragenter", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth++;
      zone.classList.add("dropzone--over");
    });
    zone.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("dropzone--over");
    });
    zone.addEventListener("drop", function (event) {
      depth = 0;
      zone.classList.remove("dropzone--over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      event.preventDefault();  // not the browser opening the file in place of the form
      var one = new DataTransfer();  // one file per input, as the picker allows
      one.items.add(files[0]);
      input.files = one.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    // A click on the zone's margin opens the picker as a click on the input does.
    zone.addEventListener("click", function (event) {
      if (event.target === zone || event.target === prompt) input.click();
    });
    input.addEventListener("change", showName);
    input.form && input.form.addEventListener("reset", function () { window.setTimeout(showName, 0); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.DataTransfer) return;
    var inputs = document.querySelectorAll("form.episode-form input[type=file]");
    for (var i = 0; i < inputs.length; i++) setupZone(inputs[i]);
  });
})();
