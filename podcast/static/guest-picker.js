// The episode form's guests for shows with hundreds of them: a search (by name, case and
// diacritics ignored, Cyrillic too) over the guests the plain selects offer, the chosen guests
// listed in speaking order with Move up, Move down and Remove, and "Add another new guest"
// without a round trip. The form sends what it always sent (guests-0, guests-1, … and the
// new_guests-N-* fields), so a page without this file keeps its selects and slots
// (templates/admin/_guests_field.html).
(function () {
  "use strict";

  var data = document.getElementById("guest-picker-data");
  var box = document.getElementById("guests-field");
  var selectsBox = document.getElementById("guest-selects");
  if (!data || !box || !selectsBox) return;
  var state;
  try { state = JSON.parse(data.textContent); } catch (e) { return; }
  var words = state.words || {};

  function say(key, values) {
    return (words[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // "Ёлкина" finds "елкина", "Zoë" finds "zoe": compare without case and combining marks.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLocaleLowerCase();
  }

  var selects = selectsBox.querySelectorAll("select");
  if (!selects.length) return;
  var guests = [];
  var byId = {};
  Array.prototype.forEach.call(selects[0].options, function (option) {
    if (!option.value) return;
    var guest = { id: option.value, name: option.textContent, key: fold(option.textContent) };
    guests.push(guest);
    byId[guest.id] = guest;
  });
  var chosen = [];
  Array.prototype.forEach.call(selects, function (select) {
    if (select.value && byId[select.value] && chosen.indexOf(select.value) < 0) chosen.push(select.value);
  });

  var status = el("p", "visually-hidden");
  status.id = "guests-status";
  // A live region without role=status: the page's own status is the flash message.
  status.setAttribute("aria-live", "polite");

  function announce(text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  // The selects give way to hidden fields that carry the chosen ids in order.
  var carried = el("div");
  selectsBox.hidden = true;
  Array.prototype.forEach.call(selects, function (select) { select.disabled = true; });

  var picker = el("div", "guest-picker field");
  var label = el("label", null, say("search"));
  var input = el("input");
  input.type = "text";
  input.id = "guest-search";
  input.autocomplete = "off";
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "guest-matches");
  input.setAttribute("aria-describedby", "guest-search-hint");
  label.htmlFor = input.id;
  var hint = el("p", "hint", say("search_hint"));
  hint.id = "guest-search-hint";
  var matches = el("ul", "guest-matches");
  matches.id = "guest-matches";
  matches.setAttribute("role", "listbox");
  matches.setAttribute("aria-label", say("matches"));
  matches.hidden = true;
  var chosenTitle = el("p", "guest-chosen-title", say("chosen"));
  chosenTitle.id = "guest-chosen-title";
  var list = el("ol", "guest-chosen");
  list.id = "guest-chosen";
  list.setAttribute("aria-labelledby", chosenTitle.id);
  var empty = el("p", "hint", say("none_chosen"));
  picker.append(label, hint, input, matches, chosenTitle, list, empty, status, carried);
  selectsBox.after(picker);

  // The summary's link to the guests goes to the search instead of a hidden select.
  var links = document.querySelectorAll('.error-summary a[href="#' + selects[0].id + '"]');
  for (var i = 0; i < links.length; i++) links[i].setAttribute("href", "#guest-search");
  if (selects[0].getAttribute("aria-invalid")) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "guests-error guest-search-hint");
  }

  function writeBack() {
    carried.textContent = "";
    chosen.forEach(function (id, index) {
      var hidden = el("input");
      hidden.type = "hidden";
      hidden.name = "guests-" + index;
      hidden.value = id;
      carried.append(hidden);
    });
  }

  function button(key, guest, onClick, disabled) {
    var b = el("button", "secondary guest-chosen__" + key, say(key));
    b.type = "button";
    b.setAttribute("aria-label", say(key + "_label", { name: guest.name }));
    b.disabled = !!disabled;
    b.addEventListener("click", onClick);
    return b;
  }

  function render() {
    list.textContent = "";
    chosen.forEach(function (id, index) {
      var guest = byId[id];
      var item = el("li", "guest-chosen__item");
      item.append(el("span", "guest-chosen__name", guest.name));
      var actions = el("span", "guest-chosen__actions");
      actions.append(
        button("up", guest, function () { move(index, -1, "up"); }, index === 0),
        button("down", guest, function () { move(index, 1, "down"); }, index === chosen.length - 1),
        button("remove", guest, function () { remove(index); })
      );
      item.append(actions);
      list.append(item);
    });
    empty.hidden = chosen.length > 0;
    writeBack();
  }

  function move(index, by, key) {
    var to = index + by;
    if (to < 0 || to >= chosen.length) return;
    var id = chosen.splice(index, 1)[0];
    chosen.splice(to, 0, id);
    render();
    var item = list.children[to];
    var target = item.querySelector(".guest-chosen__" + key);
    if (target.disabled) target = item.querySelector(".guest-chosen__" + (key === "up" ? "down" : "up"));
    target.focus();
    announce(say("moved", { name: byId[id].name, n: to + 1 }));
  }

  function remove(index) {
    var id = chosen.splice(index, 1)[0];
    render();
    var item = list.children[Math.min(index, chosen.length - 1)];
    (item ? item.querySelector(".guest-chosen__remove") : input).focus();
    announce(say("removed", { name: byId[id].name }));
  }

  var found = [];
  var active = -1;

  function close() {
    matches.hidden = true;
    matches.textContent = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    found = [];
    active = -1;
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(matches.children, function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0 && matches.children[index]) {
      input.setAttribute("aria-activedescendant", matches.children[index].id);
      matches.children[index].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function choose(guest) {
    chosen.push(guest.id);
    render();
    input.value = "";
    close();
    input.focus();
    announce(say("added", { name: guest.name }));
  }

  function search() {
    var query = fold(input.value.trim());
    if (!query) { close(); return; }
    var parts = query.split(/\s+/);
    found = guests.filter(function (guest) {
      return chosen.indexOf(guest.id) < 0 && parts.every(function (part) { return guest.key.indexOf(part) >= 0; });
    }).slice(0, 20);
    matches.textContent = "";
    found.forEach(function (guest, index) {
      var option = el("li", "guest-matches__option", guest.name);
      option.id = "guest-option-" + guest.id;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { choose(guest); });
      matches.append(option);
    });
    matches.hidden = !found.length;
    input.setAttribute("aria-expanded", found.length ? "true" : "false");
    highlight(found.length ? 0 : -1);
    if (!found.length) announce(say("no_match", { query: input.value.trim() }));
  }

  input.addEventListener("input", search);
  input.addEventListener("blur", close);
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!found.length) search();
      if (!found.length) return;
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + found.length) % found.length);
    } else if (event.key === "Enter") {
      // Enter chooses a guest; it never sends the form from here.
      event.preventDefault();
      if (active >= 0 && found[active]) choose(found[active]);
    } else if (event.key === "Escape" && !matches.hidden) {
      event.preventDefault();
      close();
    }
  });

  render();

  // "Add another new guest": a slot more, here and now, instead of the server's round trip.
  var slots = document.getElementById("new-guests");
  var add = document.getElementById("add-new-guest");
  var max = Number(state.max_new) || 50;
  if (slots && add) {
    add.addEventListener("click", function (event) {
      event.preventDefault();
      var all = slots.querySelectorAll(".new-guest");
      if (all.length >= max) { announce(say("slots_full", { count: max })); return; }
      var last = all[all.length - 1];
      var n = all.length;
      var slot = last.cloneNode(true);
      slot.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
      slot.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
      slot.querySelectorAll("input, textarea").forEach(function (control) {
        control.id = control.name = control.id.replace(/^new_guests-\d+-/, "new_guests-" + n + "-");
        control.value = "";
        control.removeAttribute("aria-invalid");
        control.removeAttribute("aria-describedby");
      });
      slot.querySelectorAll("label").forEach(function (node) {
        var part = node.htmlFor.replace(/^new_guests-\d+-/, "");
        node.htmlFor = "new_guests-" + n + "-" + part;
        node.textContent = say(part === "bio" ? "bio_label" : "name_label", { n: n + 1 });
      });
      slots.append(slot);
      slot.querySelector("input").focus();
      announce(say("slot_added", { n: n + 1 }));
      if (n + 1 >= max) add.disabled = true;
    });
  }
})();
