// Progressive enhancement only: every page works without this file.
// Fields that apply only when another field has a given value are hidden until it has it.
(function () {
  "use strict";
  function chosen(control) {
    if (!control) { return []; }
    if (control.tagName === "SELECT") { return [control.value]; }
    return Array.prototype.map.call(control.querySelectorAll("input:checked"), function (i) { return i.value; });
  }
  function refresh(form) {
    form.querySelectorAll("[data-when-field]").forEach(function (field) {
      var values = field.getAttribute("data-when-values").split(" ");
      var picked = chosen(document.getElementById(field.getAttribute("data-when-field")));
      var applies = picked.some(function (v) { return values.indexOf(v) >= 0; });
      field.classList.toggle("hidden", !applies && !field.classList.contains("has-error"));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-when-field]")) { return; }
      refresh(form);
      form.addEventListener("change", function () { refresh(form); });
    });
  });
}());
