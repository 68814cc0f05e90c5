// Keyboard shortcuts for lists of cases (progressive enhancement: every page works without this file).
// "/" search, j/k move, Enter open, x choose, "?" list the keys. None fires while typing in a field.
(function () {
  "use strict";
  var KEYS = [
    ["/", "Search by reference or words"],
    ["j / k", "Next / previous case in the list"],
    ["Enter", "Open the current case"],
    ["x", "Choose the current case (for a bulk action)"],
    ["?", "Show or hide these shortcuts"]
  ];
  var current = -1;

  var CLICKABLE = ["checkbox", "radio", "button", "submit", "reset"];
  function typing(target) {
    var tag = target && target.tagName;
    if (tag === "INPUT") { return CLICKABLE.indexOf(target.type) < 0; }
    return tag === "TEXTAREA" || tag === "SELECT" || Boolean(target && target.isContentEditable);
  }
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-list] [data-row]")); }
  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    if (all[current]) { all[current].classList.remove("current-row"); }
    current = Math.max(0, Math.min(all.length - 1, current + step));
    all[current].classList.add("current-row");
    var link = all[current].querySelector("a[href]");
    if (link) { link.focus(); }
  }
  function currentRow() { return rows()[current]; }
  function help() {
    var box = document.getElementById("shortcut-help");
    if (box) { box.remove(); return; }
    box = document.createElement("div");
    box.id = "shortcut-help";
    box.className = "shortcut-help";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Keyboard shortcuts");
    var title = document.createElement("h2");
    title.textContent = "Keyboard shortcuts";
    var list = document.createElement("dl");
    KEYS.forEach(function (pair) {
      var key = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      key.appendChild(kbd);
      var text = document.createElement("dd");
      text.textContent = pair[1];
      list.appendChild(key);
      list.appendChild(text);
    });
    box.appendChild(title);
    box.appendChild(list);
    document.body.appendChild(box);
  }
  function selectAll(box) {
    var form = box.form;
    if (!form) { return; }
    form.querySelectorAll("input.pick").forEach(function (pick) { pick.checked = box.checked; });
  }

  function choose(pick, checked) {
    pick.checked = checked;
    var all = pick.form && pick.form.querySelector("[data-select-all]");
    if (all && !checked) { all.checked = false; }  // "all on this page" no longer holds
  }

  document.addEventListener("change", function (event) {
    if (!event.target.matches) { return; }
    if (event.target.matches("[data-select-all]")) { selectAll(event.target); }
    if (event.target.matches("input.pick")) { choose(event.target, event.target.checked); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var row;
    if (event.key === "/") {
      var search = document.getElementById("header-search");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "j") {
      move(1);
    } else if (event.key === "k") {
      move(-1);
    } else if (event.key === "x") {
      row = currentRow();
      var pick = row && row.querySelector("input.pick");
      if (pick) { choose(pick, !pick.checked); }
    } else if (event.key === "Enter") {
      row = currentRow();
      var link = row && row.querySelector("a[href]");
      var here = document.activeElement;
      // Enter keeps its own meaning on a button or link elsewhere on the page.
      if (link && here !== link && (here === document.body || row.contains(here))) {
        event.preventDefault();
        link.click();
      }
    } else if (event.key === "?") {
      help();
    } else if (event.key === "Escape") {
      var box = document.getElementById("shortcut-help");
      if (box) { box.remove(); }
    }
  });
}());
