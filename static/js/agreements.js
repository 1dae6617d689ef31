/* 青亲筹 — agreement pages, progressive enhancement only (CSP script-src 'self'):
   - [data-print]            shows the button and prints the page
   - [data-project-picker]   on the new-agreement form, shows only the chosen organization's projects */
(function () {
  'use strict';

  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }

  function initPrint() {
    document.querySelectorAll('[data-print]').forEach(function (button) {
      button.hidden = false;
      button.addEventListener('click', function () { window.print(); });
    });
  }

  function initProjectPicker() {
    var picker = document.querySelector('[data-project-picker]');
    var select = document.getElementById('organization_id');
    if (!picker || !select) { return; }
    function update() {
      var chosen = select.value;
      picker.querySelectorAll('[data-organization]').forEach(function (group) {
        var show = !chosen || group.getAttribute('data-organization') === chosen;
        group.hidden = !show;
        if (!show) {
          group.querySelectorAll('input[type="checkbox"]').forEach(function (box) { box.checked = false; });
        }
      });
    }
    select.addEventListener('change', update);
    update();
  }

  ready(function () {
    initPrint();
    initProjectPicker();
  });
}());
