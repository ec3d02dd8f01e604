/* Downwatch: the service chart (reports per step against the normal range), drawn with
 * uPlot (loaded before this file) in every <figure class="chart" data-service="SLUG">.
 * The hidden <table class="chart-table"> gets the same figures for screen readers.
 * No inline styles or scripts: colours come from CSS custom properties on the figure. */
(function () {
  'use strict';
  if (typeof uPlot === 'undefined') return;

  var lang = document.documentElement.lang || undefined;
  var REFRESH_MS = 60000;
  var TIMEOUT_MS = 20000;
  var STEP_MINUTES = { '1m': 1, '5m': 5, '15m': 15, '1h': 60 };
  var hhmm = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });
  var dayMonth = new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short' });
  var full = new Intl.DateTimeFormat(lang, {
    weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit'
  });
  var int = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var dec = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

  // The first CSS custom property set on the figure (or inherited), else the fallback.
  function color(fig, names, fallback) {
    var css = getComputedStyle(fig);
    for (var i = 0; i < names.length; i++) {
      var v = css.getPropertyValue(names[i]).trim();
      if (v) return v;
    }
    return fallback;
  }

  // #rgb or #rrggbb with some transparency (other colours are returned as they are).
  function alpha(c, a) {
    var m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
    if (!m) return c;
    var h = m[1].length === 3 ? m[1].replace(/./g, '$&$&') : m[1];
    var n = parseInt(h, 16);
    return 'rgba(' + (n >> 16) + ', ' + ((n >> 8) & 255) + ', ' + (n & 255) + ', ' + a + ')';
  }

  // Tick labels in the reader's zone: the time, and the date under the first tick of a day.
  function timeTicks(u, splits) {
    var last = null;
    return splits.map(function (s) {
      var d = new Date(s * 1000);
      var day = d.toDateString();
      var text = hhmm.format(d);
      if (day !== last) text += '\n' + dayMonth.format(d);
      last = day;
      return text;
    });
  }

  function Chart(fig) {
    this.fig = fig;
    this.plot = fig.querySelector('.chart-plot') || fig;
    this.tbody = fig.querySelector('.chart-table tbody');
    this.step = STEP_MINUTES[fig.dataset.step] ? fig.dataset.step : '5m';
    this.u = null;
    this.busy = false;
    this.pending = false;
    var self = this;
    if (this.live()) {
      document.addEventListener('downwatch:refresh', function () { self.load(); });
      setInterval(function () { if (!document.hidden) self.load(); }, REFRESH_MS);
      document.addEventListener('visibilitychange', function () { if (!document.hidden) self.load(); });
    }
    if (window.matchMedia) { // light/dark switch: redraw in the new colours
      var dark = window.matchMedia('(prefers-color-scheme: dark)');
      var redraw = function () {
        if (!self.u) return;
        var data = self.u.data;
        self.u.destroy();
        self.create(data);
      };
      if (dark.addEventListener) dark.addEventListener('change', redraw);
    }
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(function () { self.resize(); }).observe(this.plot);
    }
    this.load();
  }

  // A fixed range that ended a while ago never changes: no need to poll it.
  Chart.prototype.live = function () {
    var to = Date.parse(this.fig.dataset.to || '');
    return isNaN(to) || to > Date.now() - 2 * STEP_MINUTES[this.step] * 60000;
  };

  Chart.prototype.url = function () {
    var d = this.fig.dataset;
    var q = new URLSearchParams();
    if (d.from) {
      q.set('from', d.from);
      if (d.to) q.set('to', d.to);
    } else {
      // `to` is left to the server's clock (it refuses a `to` over an hour ahead).
      var hours = parseFloat(d.hours) || 24;
      q.set('from', new Date(Date.now() - hours * 3600000).toISOString());
    }
    q.set('step', this.step);
    if (d.country) q.set('country', d.country.toUpperCase());
    return '/api/v1/services/' + encodeURIComponent(d.service) + '/series?' + q.toString();
  };

  Chart.prototype.load = function () {
    if (this.busy) { this.pending = true; return; }
    this.busy = true;
    this.pending = false;
    var self = this;
    var ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, TIMEOUT_MS);
    fetch(this.url(), { headers: { Accept: 'application/json' }, signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (body) {
        self.render(body.points || []);
        delete self.fig.dataset.error;
      })
      .catch(function () { self.fig.dataset.error = '1'; })
      .then(function () {
        clearTimeout(timer);
        self.busy = false;
        if (self.pending) self.load();
      });
  };

  Chart.prototype.render = function (points) {
    var total = 0;
    var xs = [], reports = [], expected = [], low = [], high = [];
    points.forEach(function (p) {
      total += p.reports;
      xs.push(Date.parse(p.t) / 1000);
      reports.push(p.reports);
      expected.push(p.expected);
      low.push(p.expected_low);
      high.push(p.expected_high);
    });
    this.table(points);
    var empty = this.plot.querySelector('.chart-empty');
    if (total === 0) {
      if (this.u) { this.u.destroy(); this.u = null; }
      if (!empty) {
        empty = document.createElement('p');
        empty.className = 'chart-empty';
        empty.textContent = this.fig.dataset.labelEmpty || 'No reports in this period';
        this.plot.appendChild(empty);
      }
    } else {
      if (empty) empty.remove();
      // The last step is drawn up to its end: repeat its values there (the cursor skips it).
      var n = xs.length;
      xs.push(xs[n - 1] + STEP_MINUTES[this.step] * 60);
      [reports, expected, low, high].forEach(function (a) { a.push(a[n - 1]); });
      var data = [xs, low, high, reports, expected]; // series drawn in this order
      if (this.u) this.u.setData(data);
      else this.create(data);
    }
    this.fig.dataset.total = String(total);
    this.fig.dataset.loaded = '1';
  };

  /* Official posts (data-marks: [{t: seconds, label}]) as dashed vertical lines, labelled. */
  function drawMarks(u, marks, stroke, family) {
    var ctx = u.ctx, r = uPlot.pxRatio, box = u.bbox;
    ctx.save();
    ctx.strokeStyle = stroke;
    ctx.fillStyle = stroke;
    ctx.lineWidth = r;
    ctx.setLineDash([4 * r, 3 * r]);
    ctx.font = Math.round(11 * r) + 'px ' + family;
    marks.forEach(function (m, i) {
      var x = Math.round(u.valToPos(m.t, 'x', true));
      if (!(x >= box.left && x <= box.left + box.width)) return;
      ctx.beginPath();
      ctx.moveTo(x, box.top);
      ctx.lineTo(x, box.top + box.height);
      ctx.stroke();
      var right = x > box.left + box.width / 2; // labels of late marks go to their left
      ctx.textAlign = right ? 'right' : 'left';
      ctx.fillText(String(m.label || ''), x + (right ? -4 : 4) * r, box.top + (12 + 13 * (i % 3)) * r);
    });
    ctx.restore();
  }

  function parseMarks(raw) {
    try {
      var list = raw ? JSON.parse(raw) : [];
      return Array.isArray(list) ? list.filter(function (m) { return typeof m.t === 'number'; }) : [];
    } catch (e) {
      return [];
    }
  }

  Chart.prototype.create = function (data) {
    var fig = this.fig, d = fig.dataset;
    var marks = parseMarks(d.marks);
    var family = getComputedStyle(fig).fontFamily || 'sans-serif';
    var reports = color(fig, ['--chart-reports', '--bad'], '#a3141d');
    var muted = color(fig, ['--muted'], '#555d6b');
    var c = {
      reports: reports,
      reportsFill: color(fig, ['--chart-reports-fill'], alpha(reports, 0.25)),
      expected: color(fig, ['--chart-expected', '--fg'], '#16181d'),
      band: color(fig, ['--chart-band'], alpha(muted, 0.25)),
      axis: color(fig, ['--chart-axis', '--muted'], muted),
      grid: color(fig, ['--chart-grid', '--line'], '#d5d9e0')
    };
    var font = '12px ' + (getComputedStyle(fig).fontFamily || 'sans-serif');
    var labelReports = d.labelReports || 'Reports';
    var markerStroke = [null, c.band, null, c.reports, c.expected];
    var markerFill = [null, c.band, null, c.reportsFill, 'transparent'];
    var hidden = { show: false };
    var axis = { stroke: c.axis, font: font, labelFont: font, grid: { stroke: c.grid, width: 1 },
      ticks: { stroke: c.grid, width: 1 } };
    var opts = {
      width: this.width(),
      height: 240,
      legend: {
        markers: {
          stroke: function (u, i) { return markerStroke[i]; },
          fill: function (u, i) { return markerFill[i]; },
          dash: function (u, i) { return i === 4 ? 'dashed' : 'solid'; }
        }
      },
      cursor: {
        drag: { x: false, y: false },
        points: { show: false },
        dataIdx: function (u, si, idx) { return Math.min(idx, u.data[0].length - 2); }
      },
      scales: {
        x: { time: true },
        y: {
          range: function (u, min, max) {
            return [0, uPlot.rangeNum(0, Math.max(max, 4), 0.1, true)[1]];
          }
        }
      },
      axes: [
        Object.assign({}, axis, { space: 70, values: timeTicks }),
        Object.assign({}, axis, {
          label: labelReports, size: 48,
          incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4,
            25e3, 5e4, 1e5, 2e5, 25e4, 5e5, 1e6, 2e6, 5e6, 1e7],
          values: function (u, splits) { return splits.map(function (v) { return int.format(v); }); }
        })
      ],
      series: [
        { label: d.labelTime || 'Time', value: function (u, v) { return v == null ? '' : full.format(new Date(v * 1000)); } },
        {
          label: d.labelBand || 'Normal range', stroke: 'transparent', width: 0, points: hidden,
          value: function (u, v, si, i) {
            return i == null ? '' : dec.format(v) + '–' + dec.format(u.data[2][i]);
          }
        },
        { label: 'high', stroke: 'transparent', width: 0, points: hidden },
        {
          label: labelReports, stroke: c.reports, fill: c.reportsFill, width: 1.5, points: hidden,
          paths: uPlot.paths.stepped({ align: 1 }),
          value: function (u, v) { return v == null ? '' : int.format(v); }
        },
        {
          label: d.labelExpected || 'Normal level', stroke: c.expected, width: 1.5, dash: [6, 4],
          points: hidden, value: function (u, v) { return v == null ? '' : dec.format(v); }
        }
      ],
      bands: [{ series: [2, 1], fill: c.band }],
      hooks: {
        // The band is two series: hiding or showing one does both.
        setSeries: [function (u, i, o) {
          if (i === 1 && o && o.show != null && u.series[2].show !== o.show) u.setSeries(2, { show: o.show });
        }],
        draw: marks.length ? [function (u) { drawMarks(u, marks, c.axis, family); }] : []
      }
    };
    this.u = new uPlot(opts, data, this.plot);
    this.u.root.setAttribute('aria-hidden', 'true'); // the table says the same to screen readers
    var rows = this.u.root.querySelectorAll('.u-legend .u-series');
    if (rows.length === 5) {
      rows[2].style.display = 'none';
      rows[0].parentNode.insertBefore(rows[3], rows[1]); // reports first
    }
  };

  Chart.prototype.width = function () {
    return Math.max(240, Math.floor(this.plot.clientWidth || this.fig.clientWidth || 600));
  };

  Chart.prototype.resize = function () {
    if (!this.u) return;
    var w = this.width();
    if (w !== this.u.width) this.u.setSize({ width: w, height: 240 });
  };

  Chart.prototype.table = function (points) {
    if (!this.tbody) return;
    var frag = document.createDocumentFragment();
    points.forEach(function (p) {
      var tr = document.createElement('tr');
      var th = document.createElement('th');
      th.scope = 'row';
      th.title = p.t;
      var time = document.createElement('time');
      time.dateTime = p.t;
      time.textContent = full.format(new Date(p.t));
      th.appendChild(time);
      tr.appendChild(th);
      [int.format(p.reports), dec.format(p.expected)].forEach(function (text) {
        var td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    this.tbody.textContent = '';
    this.tbody.appendChild(frag);
  };

  function start() {
    document.querySelectorAll('figure.chart[data-service]').forEach(function (fig) {
      if (!fig.dataset.chartInit) {
        fig.dataset.chartInit = '1';
        new Chart(fig);
      }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
