// The episode form's chapters as rows (start, title, optional link; add, remove, move up and
// down). The textarea stays the field that is sent: every change writes the rows back into it
// as the lines the server reads ("12:30 The report https://…"), so the server's parser checks
// them, and a page without this file keeps the textarea. The server splits the lines into rows
// and names each refused row (templates/admin/_chapters_field.html).
(function () {
  "use strict";

  var data = document.getElementById("chapters-editor-data");
  var box = document.getElementById("chapters-field");
  var textarea = document.getElementById("chapters");
  if (!data || !box || !textarea) return;
  var state;
  try { state = JSON.parse(data.textContent); } catch (e) { return; }
  var words = state.words || {};
  var rows = (state.rows || []).map(function (row) {
    return { start: row.start || "", title: row.title || "", url: row.url || "", error: row.error || "" };
  });
  var form = textarea.form;

  function say(key, values) {
    return (words[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function clock(seconds) {
    // The start as the form writes it: M:SS or H:MM:SS, with any fraction (as chapter_lines).
    var whole = Math.floor(seconds);
    var fraction = (seconds - whole).toFixed(3).replace(/0+$/, "").replace(/\.$/, "").slice(1);
    var h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
    var text = h ? h + ":" + String(m).padStart(2, "0") : String(m);
    return text + ":" + String(s).padStart(2, "0") + fraction;
  }

  function blank(row) {
    return !row.start.trim() && !row.title.trim() && !row.url.trim();
  }

  function writeBack() {
    textarea.value = rows.filter(function (row) { return !blank(row); }).map(function (row) {
      var line = row.start.trim() + " " + row.title.trim().replace(/\s+/g, " ");
      return row.url.trim() ? line + " " + row.url.trim() : line;
    }).join("\n");
  }

  // The editor replaces the textarea's field on screen; the textarea stays in the form.
  var field = textarea.closest(".field");
  field.hidden = true;
  var group = document.createElement("fieldset");
  group.className = "chapters-editor";
  var legend = document.createElement("legend");
  legend.textContent = say("legend");
  var hint = document.createElement("p");
  hint.className = "hint";
  hint.id = "chapters-editor-hint";
  hint.textContent = say("hint");
  var list = document.createElement("ol");
  list.className = "chapter-rows";
  var add = document.createElement("button");
  add.type = "button";
  add.className = "secondary";
  add.id = "chapters-add";
  add.textContent = say("add");
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.id = "chapters-status";
  // A live region without role=status: the page's own status is the flash message.
  status.setAttribute("aria-live", "polite");
  group.append(legend, hint, list, add, status);
  field.after(group);

  function announce(text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function input(row, index, key, type) {
    var n = index + 1;
    var wrap = document.createElement("div");
    wrap.className = "field chapter-row__" + key;
    var label = document.createElement("label");
    var control = document.createElement("input");
    control.type = type;
    control.id = "chapter-" + n + "-" + key;
    control.value = row[key];
    control.autocomplete = "off";
    if (key === "start") control.inputMode = "decimal";
    label.htmlFor = control.id;
    label.textContent = say(key);
    control.addEventListener("input", function () {
      row[key] = control.value;
      writeBack();
    });
    wrap.append(label, control);
    if (row.error && key === "start") {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", "chapter-" + n + "-error");
    }
    return wrap;
  }

  function button(key, n, onClick, disabled) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary chapter-row__" + key;
    b.textContent = say(key);
    b.setAttribute("aria-label", say(key + "_label", { n: n }));
    b.disabled = !!disabled;
    b.addEventListener("click", onClick);
    return b;
  }

  function render() {
    list.textContent = "";
    rows.forEach(function (row, index) {
      var n = index + 1;
      var item = document.createElement("li");
      var set = document.createElement("fieldset");
      set.className = "chapter-row" + (row.error ? " has-error" : "");
      var title = document.createElement("legend");
      title.textContent = say("row", { n: n });
      set.append(title);
      if (row.error) {
        var error = document.createElement("p");
        error.className = "field-error";
        error.id = "chapter-" + n + "-error";
        error.textContent = row.error;
        set.append(error);
      }
      set.append(input(row, index, "start", "text"), input(row, index, "title", "text"), input(row, index, "url", "url"));
      var actions = document.createElement("div");
      actions.className = "chapter-row__actions";
      actions.append(
        button("up", n, function () { move(index, -1, "up"); }, index === 0),
        button("down", n, function () { move(index, 1, "down"); }, index === rows.length - 1),
        button("remove", n, function () { remove(index); })
      );
      set.append(actions);
      item.append(set);
      list.append(item);
    });
  }

  function move(index, by, key) {
    var to = index + by;
    if (to < 0 || to >= rows.length) return;
    var row = rows.splice(index, 1)[0];
    rows.splice(to, 0, row);
    writeBack();
    render();
    var item = list.children[to];
    var target = item.querySelector(".chapter-row__" + key);
    if (!target || target.disabled) target = item.querySelector(".chapter-row__" + (key === "up" ? "down" : "up"));
    target.focus();
    announce(say("moved", { n: to + 1 }));
  }

  function remove(index) {
    rows.splice(index, 1);
    writeBack();
    render();
    var item = list.children[Math.min(index, rows.length - 1)];
    (item ? item.querySelector("input") : add).focus();
    announce(say("removed", { n: index + 1 }));
  }

  add.addEventListener("click", function () {
    rows.push({ start: rows.length ? "" : "0:00", title: "", url: "", error: "" });
    writeBack();
    render();
    document.getElementById("chapter-" + rows.length + (rows.length > 1 ? "-start" : "-title")).focus();
    announce(say("added", { n: rows.length }));
  });

  // A staged audio file's own chapters fill the rows when the producer has typed none.
  if (form) {
    form.addEventListener("audio-staged", function (event) {
      var chapters = (event.detail && event.detail.chapters) || [];
      if (!chapters.length || !rows.every(blank)) return;
      rows = chapters.map(function (chapter) {
        return { start: clock(Number(chapter.start) || 0), title: chapter.title || "", url: chapter.url || "", error: "" };
      });
      writeBack();
      render();
      announce(say("from_file", { count: rows.length }));
    });
    form.addEventListener("submit", writeBack);
  }

  // The summary's links to the chapters field go to the refused row instead.
  var refused = [];
  rows.forEach(function (row, index) { if (row.error) refused.push(index + 1); });
  var links = document.querySelectorAll('.error-summary a[href="#chapters"]');
  for (var i = 0; i < links.length && i < refused.length; i++) {
    links[i].setAttribute("href", "#chapter-" + refused[i] + "-start");
  }

  render();
})();
