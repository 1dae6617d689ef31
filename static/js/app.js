/* 青亲筹 — progressive enhancement only. No framework, no inline handlers (CSP script-src 'self').
   - nav toggle            [data-nav-toggle] + aria-controls
   - account menu          details[data-account-menu]: closes on outside click / Escape
   - dismissible alerts    [data-alert] containing button[data-dismiss]
   - confirmations         data-confirm="…" on a form, a submit button or a link
   - auto-submit filters   select/input[data-autosubmit]
   - double-submit guard   POST forms disable their submit button after submitting
                           (opt out with data-allow-resubmit on the form)
   - character counters    textarea[maxlength] */
(function () {
  'use strict';

  var root = document.documentElement;
  root.classList.remove('no-js');
  root.classList.add('js');

  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }

  function initNav() {
    var toggle = document.querySelector('[data-nav-toggle]');
    if (!toggle) { return; }
    var nav = document.getElementById(toggle.getAttribute('aria-controls'));
    if (!nav) { return; }
    function setOpen(open) {
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      nav.classList.toggle('is-open', open);
    }
    toggle.addEventListener('click', function () {
      setOpen(toggle.getAttribute('aria-expanded') !== 'true');
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && toggle.getAttribute('aria-expanded') === 'true') {
        setOpen(false);
        toggle.focus();
      }
    });
    if (window.matchMedia) {
      var wide = window.matchMedia('(min-width: 960px)');
      var reset = function () { if (wide.matches) { setOpen(false); } };
      if (wide.addEventListener) { wide.addEventListener('change', reset); }
    }
  }

  function initAccountMenu() {
    var menus = document.querySelectorAll('details[data-account-menu]');
    if (!menus.length) { return; }
    document.addEventListener('click', function (event) {
      menus.forEach(function (menu) {
        if (menu.open && !menu.contains(event.target)) { menu.open = false; }
      });
    });
    document.addEventListener('keydown', function (event) {
      if (event.key !== 'Escape') { return; }
      menus.forEach(function (menu) {
        if (menu.open) {
          menu.open = false;
          var summary = menu.querySelector('summary');
          if (summary) { summary.focus(); }
        }
      });
    });
  }

  function initAlerts() {
    document.querySelectorAll('[data-alert] [data-dismiss]').forEach(function (button) {
      button.hidden = false;
      button.addEventListener('click', function () {
        var alert = button.closest('[data-alert]');
        var stack = alert && alert.parentElement;
        if (alert) { alert.remove(); }
        if (stack && !stack.querySelector('[data-alert]')) { stack.remove(); }
        var main = document.getElementById('main');
        if (main) { main.focus({ preventScroll: true }); }
      });
    });
  }

  function initConfirm() {
    document.addEventListener('submit', function (event) {
      var form = event.target;
      var source = null;
      if (event.submitter && event.submitter.hasAttribute('data-confirm')) {
        source = event.submitter;
      } else if (form.hasAttribute && form.hasAttribute('data-confirm')) {
        source = form;
      }
      if (source && !window.confirm(source.getAttribute('data-confirm'))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
    document.addEventListener('click', function (event) {
      var el = event.target.closest ? event.target.closest('a[data-confirm], button[data-confirm]') : null;
      if (!el) { return; }
      // submit buttons inside a form are confirmed by the submit listener (event.submitter)
      if (el.tagName === 'BUTTON' && el.form && (el.type || 'submit') === 'submit') { return; }
      if (!window.confirm(el.getAttribute('data-confirm'))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
  }

  function initAutosubmit() {
    document.addEventListener('change', function (event) {
      var el = event.target;
      if (!el.hasAttribute || !el.hasAttribute('data-autosubmit') || !el.form) { return; }
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    });
  }

  function initSubmitGuard() {
    document.addEventListener('submit', function (event) {
      var form = event.target;
      if (event.defaultPrevented || (form.getAttribute('method') || '').toLowerCase() !== 'post' ||
          form.hasAttribute('data-allow-resubmit')) { return; }
      var button = event.submitter ||
        form.querySelector('button[type="submit"], button:not([type]), input[type="submit"]');
      if (!button) { return; }
      // disable after the form data set has been built, so the button's name/value is still sent
      window.setTimeout(function () {
        button.disabled = true;
        button.setAttribute('aria-busy', 'true');
        window.setTimeout(function () { release(button); }, 8000);
      }, 0);
    });
    function release(button) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
    window.addEventListener('pageshow', function () {
      document.querySelectorAll('[aria-busy="true"]').forEach(release);
    });
  }

  function initCounters() {
    document.querySelectorAll('textarea[maxlength]').forEach(function (area) {
      var max = parseInt(area.getAttribute('maxlength'), 10);
      if (!max) { return; }
      var out = document.createElement('p');
      out.className = 'char-count';
      out.setAttribute('aria-hidden', 'true');
      var update = function () {
        out.textContent = area.value.length + ' / ' + max;
        out.classList.toggle('is-over', area.value.length >= max);
      };
      area.insertAdjacentElement('afterend', out);
      area.addEventListener('input', update);
      update();
    });
  }

  ready(function () {
    initNav();
    initAccountMenu();
    initAlerts();
    initConfirm();
    initAutosubmit();
    initSubmitGuard();
    initCounters();
  });
}());
