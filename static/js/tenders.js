/* 青亲筹 — tender pages, progressive enhancement only (CSP script-src 'self'). Without JavaScript
   every part still works: the server adds and removes rows and checks every share.
   - [data-bid-builder]        the bid builder:
       [data-mode-choice]      the mode radios show only the section of the chosen mode ([data-mode-only])
       [data-add-row=kind]     adds a row copied from template[data-row-template=kind] into [data-rows=kind]
       [data-remove-row]       removes its row ([data-row])
       [data-share-meter]      the live 100 % meter: sums input[data-share="member"] exactly (basis
                               points, never floats), green at exactly 100, red otherwise, announced
                               through its aria-live line; the server remains the authority
   - [data-show-when="name=value" | "name!=value"]
                               on the tender form, shows a block only when the radio `name` has (or
                               has not) that value */
(function () {
  'use strict';

  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }

  /* ── shares as basis points: "33.33" → 3333; null when not a percentage ── */
  function basisPoints(text) {
    var value = (text || '').normalize ? text.normalize('NFKC') : (text || '');
    value = value.trim().replace(/%$/, '').trim();
    if (value === '') { return 0; }
    var match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(value);
    if (!match) { return null; }
    var decimals = (match[2] || '').padEnd(2, '0');
    return parseInt(match[1], 10) * 100 + parseInt(decimals || '0', 10);
  }

  function formatShare(points) {
    var whole = Math.floor(points / 100);
    var rest = points % 100;
    if (rest === 0) { return String(whole); }
    return (whole + '.' + (rest < 10 ? '0' : '') + rest).replace(/0$/, '');
  }

  function initMeter(builder) {
    var meter = builder.querySelector('[data-share-meter]');
    if (!meter) { return function () {}; }
    var total = meter.querySelector('[data-share-total]');
    var note = meter.querySelector('[data-share-note]');
    var bar = meter.querySelector('progress');
    function update() {
      var sum = 0;
      var invalid = false;
      builder.querySelectorAll('input[data-share="member"]').forEach(function (input) {
        var points = basisPoints(input.value);
        if (points === null) { invalid = true; } else { sum += points; }
      });
      var exact = !invalid && sum === 10000;
      meter.classList.toggle('is-exact', exact);
      meter.classList.toggle('is-off', !exact);
      total.textContent = invalid ? '—' : formatShare(sum);
      if (bar) { bar.value = Math.min(sum / 100, 100); }
      var message;
      if (invalid) {
        message = meter.getAttribute('data-msg-invalid');
      } else if (exact) {
        message = meter.getAttribute('data-msg-exact');
      } else if (sum < 10000) {
        message = meter.getAttribute('data-msg-under').replace('{n}', formatShare(10000 - sum));
      } else {
        message = meter.getAttribute('data-msg-over').replace('{n}', formatShare(sum - 10000));
      }
      note.textContent = message;
    }
    builder.addEventListener('input', function (event) {
      if (event.target.matches && event.target.matches('input[data-share="member"]')) { update(); }
    });
    update();
    return update;
  }

  function initModes(builder) {
    var choices = builder.querySelectorAll('[data-mode-choice]');
    if (!choices.length) { return; }
    function update() {
      var checked = builder.querySelector('[data-mode-choice]:checked');
      var mode = checked ? checked.value : '';
      builder.querySelectorAll('[data-mode-only]').forEach(function (section) {
        section.hidden = section.getAttribute('data-mode-only') !== mode;
      });
    }
    choices.forEach(function (choice) { choice.addEventListener('change', update); });
    update();
  }

  function renumber(container, first) {
    container.querySelectorAll(':scope > [data-row]').forEach(function (row, position) {
      var number = row.querySelector('[data-row-number]');
      if (number) { number.textContent = String(position + first); }
    });
  }

  function nextIndex(builder, kind) {
    var pattern = new RegExp('^' + kind + '-(\\d+)-');
    var highest = -1;
    builder.querySelectorAll('[name^="' + kind + '-"]').forEach(function (field) {
      var match = pattern.exec(field.getAttribute('name'));
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest + 1;
  }

  function initRows(builder, updateMeter) {
    var firstNumber = { members: 2, subcontractors: 1 };
    builder.addEventListener('click', function (event) {
      var add = event.target.closest ? event.target.closest('[data-add-row]') : null;
      var remove = event.target.closest ? event.target.closest('[data-remove-row]') : null;
      if (add) {
        var kind = add.getAttribute('data-add-row');
        var template = builder.querySelector('template[data-row-template="' + kind + '"]');
        var container = builder.querySelector('[data-rows="' + kind + '"]');
        if (!template || !container) { return; }
        event.preventDefault();
        var index = String(nextIndex(builder, kind));
        var fragment = template.content.cloneNode(true);
        fragment.querySelectorAll('*').forEach(function (element) {
          ['id', 'name', 'for', 'aria-describedby', 'value'].forEach(function (attribute) {
            var value = element.getAttribute(attribute);
            if (value && value.indexOf('__index__') !== -1) {
              element.setAttribute(attribute, value.split('__index__').join(index));
            }
          });
        });
        var row = fragment.querySelector('[data-row]');
        container.appendChild(fragment);
        renumber(container, firstNumber[kind] || 1);
        var focus = row && row.querySelector('select, input');
        if (focus) { focus.focus(); }
        updateMeter();
      } else if (remove) {
        var item = remove.closest('[data-row]');
        var rows = item && item.parentElement;
        if (!item || !rows) { return; }
        event.preventDefault();
        var kindRemoved = rows.getAttribute('data-rows');
        item.remove();
        renumber(rows, firstNumber[kindRemoved] || 1);
        var again = builder.querySelector('[data-add-row="' + kindRemoved + '"]');
        if (again) { again.focus(); }
        updateMeter();
      }
    });
  }

  function initBuilder() {
    var builder = document.querySelector('[data-bid-builder]');
    if (!builder) { return; }
    var updateMeter = initMeter(builder);
    initModes(builder);
    initRows(builder, updateMeter);
  }

  function initShowWhen() {
    var blocks = document.querySelectorAll('[data-show-when]');
    if (!blocks.length) { return; }
    function update() {
      blocks.forEach(function (block) {
        var rule = block.getAttribute('data-show-when');
        var negate = rule.indexOf('!=') !== -1;
        var parts = rule.split(negate ? '!=' : '=');
        var checked = document.querySelector('input[name="' + parts[0] + '"]:checked');
        var value = checked ? checked.value : '';
        var matches = negate ? value !== parts[1] : value === parts[1];
        // A block holding an error stays visible, so the reason is never hidden.
        block.hidden = !matches && !block.querySelector('.field-errors');
      });
    }
    document.addEventListener('change', function (event) {
      if (event.target.matches && event.target.matches('input[type="radio"]')) { update(); }
    });
    update();
  }

  ready(function () {
    initBuilder();
    initShowWhen();
  });
}());
