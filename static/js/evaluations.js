// Evaluation pages: filter the participant checklist by name; "select all shown".
(function () {
  "use strict";
  document.querySelectorAll("[data-filter-list]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-list"));
    if (!list) return;
    input.addEventListener("input", function () {
      var query = input.value.trim().toLowerCase();
      list.querySelectorAll("li[data-name]").forEach(function (item) {
        item.hidden = query !== "" && item.getAttribute("data-name").toLowerCase().indexOf(query) === -1;
      });
    });
  });
  document.querySelectorAll("[data-check-all]").forEach(function (button) {
    var list = document.getElementById(button.getAttribute("data-check-all"));
    if (!list) return;
    button.addEventListener("click", function () {
      list.querySelectorAll("li[data-name]:not([hidden]) input[type=checkbox]").forEach(function (box) {
        box.checked = true;
      });
    });
  });
})();
