/* 青亲筹 staff dashboard: draws the charts of /staff/reports with the vendored Chart.js
 * (static/vendor/chartjs). The figures come from the JSON block #report-chart-data, the same rows
 * as the table under each chart, so nothing here computes money: it only scales fen to yuan for the
 * axis. No inline script or style (CSP): colours are the platform's CSS custom properties. */
(function () {
  'use strict';

  function ready(callback) {
    if (document.readyState !== 'loading') {
      callback();
    } else {
      document.addEventListener('DOMContentLoaded', callback);
    }
  }

  function cssVar(styles, name, fallback) {
    var value = styles.getPropertyValue(name).trim();
    return value || fallback;
  }

  function makeFormatters(lang) {
    var integers = new Intl.NumberFormat(lang === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: 0 });
    function fen(amount) {
      var sign = amount < 0 ? '-' : '';
      var whole = Math.abs(Math.round(amount));
      var yuan = Math.floor(whole / 100);
      var cents = whole % 100;
      return sign + '¥' + integers.format(yuan) + (cents ? '.' + String(cents).padStart(2, '0') : '');
    }
    return { fen: fen, count: function (value) { return integers.format(value); } };
  }

  function palette(styles) {
    return [
      cssVar(styles, '--red-500', '#d9363e'),
      cssVar(styles, '--teal-600', '#0f7b6c'),
      cssVar(styles, '--blue-700', '#1d5fbf'),
      cssVar(styles, '--amber-700', '#8a5300'),
      cssVar(styles, '--red-700', '#a51f28'),
      cssVar(styles, '--ink-3', '#6b7280')
    ];
  }

  function chartConfig(spec, styles, format, reducedMotion) {
    var money = spec.unit === 'fen';
    var colours = palette(styles);
    var horizontal = spec.kind === 'funnel';
    var type = spec.kind === 'doughnut' ? 'doughnut' : 'bar';
    // Money is drawn in yuan (fen / 100) so the axis reads naturally; tooltips format it exactly.
    var values = spec.values.map(function (value) { return money ? value / 100 : value; });
    var show = function (value) { return money ? format.fen(value * 100) : format.count(value); };
    var colour;
    if (type === 'doughnut') {
      colour = spec.labels.map(function (_label, index) { return colours[index % colours.length]; });
    } else {
      colour = horizontal ? colours[1] : colours[0];
    }
    var grid = cssVar(styles, '--line', '#e3e6eb');
    var config = {
      type: type,
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.series,
          data: values,
          backgroundColor: colour,
          borderColor: type === 'doughnut' ? cssVar(styles, '--surface', '#fff') : colour,
          borderWidth: type === 'doughnut' ? 2 : 0,
          borderRadius: type === 'doughnut' ? 0 : 4,
          maxBarThickness: 48
        }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion ? false : { duration: 400 },
        plugins: {
          legend: { display: type === 'doughnut', position: 'bottom' },
          tooltip: {
            callbacks: {
              label: function (context) { return ' ' + spec.series + ': ' + show(context.raw); }
            }
          }
        }
      }
    };
    if (type === 'bar') {
      var valueAxis = {
        beginAtZero: true,
        grid: { color: grid },
        ticks: { precision: 0, callback: function (value) { return show(value); } }
      };
      var labelAxis = { grid: { display: false } };
      config.options.indexAxis = horizontal ? 'y' : 'x';
      config.options.scales = horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
    }
    return config;
  }

  ready(function () {
    var source = document.getElementById('report-chart-data');
    if (!source || typeof window.Chart === 'undefined') {
      return; // no data (a refused range) or no chart library: the tables still hold every figure
    }
    var specs;
    try {
      specs = JSON.parse(source.textContent || '[]');
    } catch (error) {
      return;
    }
    var root = document.documentElement;
    var styles = window.getComputedStyle(root);
    var format = makeFormatters(root.lang);
    var reducedMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    var Chart = window.Chart;
    Chart.defaults.font.family = cssVar(styles, '--font', 'sans-serif');
    Chart.defaults.color = cssVar(styles, '--ink-2', '#4e5562');
    specs.forEach(function (spec) {
      var canvas = document.getElementById('chart-' + spec.key);
      if (canvas) {
        new Chart(canvas, chartConfig(spec, styles, format, reducedMotion));
        canvas.setAttribute('data-drawn', 'true');
      }
    });
  });
})();
