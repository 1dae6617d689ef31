/* 青亲筹 — public voting page, progressive enhancement only (CSP script-src 'self'). Without
   JavaScript the page works the same; the server checks every ballot.
   - [data-vote-max=N]   the fieldset of organization checkboxes; its [data-vote-counter] shows
                         "已选 2/5" (its data-template, with {count} and {max}), announced through
                         aria-live, and turns into a warning when more than N are ticked */
(function () {
  'use strict';

  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }

  function setUp(fieldset) {
    var max = parseInt(fieldset.getAttribute('data-vote-max'), 10) || 0;
    var counter = fieldset.querySelector('[data-vote-counter]');
    if (!counter) { return; }
    var template = counter.getAttribute('data-template') || '{count}/{max}';
    var boxes = fieldset.querySelectorAll('input[type="checkbox"]');

    function update() {
      var count = 0;
      for (var i = 0; i < boxes.length; i += 1) { if (boxes[i].checked) { count += 1; } }
      counter.textContent = template.replace('{count}', String(count)).replace('{max}', String(max));
      counter.classList.toggle('field-errors', count > max);
    }

    fieldset.addEventListener('change', update);
    update();
  }

  ready(function () {
    var fieldsets = document.querySelectorAll('[data-vote-max]');
    for (var i = 0; i < fieldsets.length; i += 1) { setUp(fieldsets[i]); }
  });
}());
