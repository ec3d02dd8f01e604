/* Downwatch: the outage map. Needs d3-array, d3-geo and topojson-client (loaded before).
 * Countries are shaded by reports against their own normal level (classes c-0..c-4, colours
 * in site.css); a click (or Enter/Space) zooms into a country: its subdivisions in the table
 * and the clusters of located reports on the map. No inline styles or scripts. */
(function () {
  'use strict';
  if (typeof d3 === 'undefined' || !d3.geoPath || typeof topojson === 'undefined') return;

  var SVG = 'http://www.w3.org/2000/svg';
  var W = 960; // viewBox width; the SVG scales with its container
  var REFRESH_MS = 30000;
  var lang = document.documentElement.lang || 'en';
  var int = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var dec = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  var one = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  // As the server writes them: whole numbers from 10 up, one decimal below; ratios `12.0×`.
  function amount(x) { return x >= 10 || x === Math.trunc(x) ? int.format(Math.round(x)) : one.format(x); }
  function ratio(x) { return one.format(x) + '×'; }
  var regions = null;
  try { regions = new Intl.DisplayNames([lang, 'en'], { type: 'region' }); } catch (e) { /* old browser */ }
  var geoCache = {};

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }

  function loadGeo(url) {
    if (!geoCache[url]) {
      geoCache[url] = fetch(url).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      }).then(function (topo) {
        return topojson.feature(topo, topo.objects.countries).features
          .filter(function (f) { return f.properties.a2 !== 'AQ'; });
      });
    }
    return geoCache[url];
  }

  function level(c) {
    if (!c || c.reports <= 0) return 0;
    return c.ratio < 1.5 ? 1 : c.ratio < 3 ? 2 : c.ratio < 6 ? 3 : 4;
  }

  // A country's main landmass and what lies near it (France without French Guiana).
  function mainPart(f) {
    var g = f.geometry;
    if (!g || g.type !== 'MultiPolygon') return f;
    var polys = g.coordinates.map(function (c) { return { type: 'Polygon', coordinates: c }; });
    var big = polys.reduce(function (a, b) { return d3.geoArea(b) > d3.geoArea(a) ? b : a; });
    var at = d3.geoCentroid(big);
    return { type: 'MultiPolygon', coordinates: polys.filter(function (p) {
      return d3.geoDistance(d3.geoCentroid(p), at) < 0.5;
    }).map(function (p) { return p.coordinates; }) };
  }

  function OutageMap(root) {
    this.root = root;
    this.box = root.querySelector('.map-svg') || root;
    this.silent = this.box.getAttribute('aria-hidden') === 'true';
    this.tbody = root.querySelector('.map-table tbody');
    this.label = {
      reports: root.dataset.labelReports || 'reports',
      normal: root.dataset.labelNormal || 'normal',
      none: root.dataset.labelNone || 'No reports in the last hour',
      back: root.dataset.labelBack || 'World'
    };
    this.focus = (root.dataset.country || '').toUpperCase() || null;
    this.data = null;
    this.busy = false;
    this.pending = false;
    var self = this;
    this.back = root.querySelector('.map-back');
    if (!this.back) {
      this.back = document.createElement('button');
      this.back.type = 'button';
      this.back.className = 'map-back';
      this.back.textContent = this.label.back;
      this.box.parentNode.insertBefore(this.back, this.box);
    }
    this.back.hidden = true;
    if (this.tbody) {
      this.tbody.addEventListener('click', function (e) {
        var b = e.target.closest && e.target.closest('button[data-zoom]');
        if (b) self.zoom(b.getAttribute('data-zoom'));
      });
    }
    // Back by keyboard (Enter/Space: no click count) puts the focus back on the country.
    this.back.addEventListener('click', function (e) { self.zoom(null, e.detail === 0); });
    loadGeo(root.dataset.geo || '/static/vendor/world-atlas/countries-110m.json').then(function (features) {
      self.build(features);
      self.load();
      document.addEventListener('downwatch:refresh', function () { self.load(); });
      setInterval(function () { if (!document.hidden) self.load(); }, REFRESH_MS);
    }).catch(function () { root.dataset.error = '1'; });
  }

  OutageMap.prototype.name = function (a2) {
    var f = this.byCode[a2];
    try { if (regions) return regions.of(a2); } catch (e) { /* not a region code */ }
    return f ? f.properties.name : a2;
  };

  OutageMap.prototype.build = function (features) {
    var self = this;
    this.features = features;
    this.byCode = {};
    this.paths = {};
    this.all = [];
    this.world = { type: 'FeatureCollection', features: features };
    var proj = d3.geoEqualEarth().fitWidth(W, this.world);
    this.H = Math.ceil(d3.geoPath(proj).bounds(this.world)[1][1]) + 1;
    this.svg = el('svg', { viewBox: '0 0 ' + W + ' ' + this.H, preserveAspectRatio: 'xMidYMid meet' });
    var countries = el('g', { 'class': 'countries' }, this.svg);
    this.clusters = el('g', { 'class': 'clusters' }, this.svg);
    features.forEach(function (f) {
      var a2 = f.properties.a2;
      var p = el('path', { 'class': 'c c-0', 'vector-effect': 'non-scaling-stroke' }, countries);
      el('title', {}, p);
      self.all.push(p);
      if (!a2) return;
      self.byCode[a2] = f;
      self.paths[a2] = p;
      p.setAttribute('data-country', a2);
      p.setAttribute('role', 'button');
    });
    this.svg.addEventListener('click', function (e) {
      var p = e.target.closest && e.target.closest('path[data-country]');
      if (p) self.zoom(p.getAttribute('data-country'));
    });
    // A click zooms without focusing the path (browsers ring focused SVG shapes).
    this.svg.addEventListener('mousedown', function (e) {
      if (e.target.closest && e.target.closest('path[data-country]')) e.preventDefault();
    });
    this.svg.addEventListener('keydown', function (e) {
      var p = e.target.closest && e.target.closest('path[data-country]');
      if (p && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        self.zoom(p.getAttribute('data-country'));
      } else if (e.key === 'Escape' && self.focus) {
        self.zoom(null, true);
      }
    });
    this.box.appendChild(this.svg);
    if (this.focus && !this.byCode[this.focus]) this.focus = null;
    this.project();
  };

  // The projection of the current view: the world, or one country filling the map.
  OutageMap.prototype.project = function () {
    var f = this.focus && this.byCode[this.focus];
    var proj;
    if (f) {
      var part = mainPart(f);
      var c = d3.geoCentroid(part);
      var pad = 16;
      proj = d3.geoAzimuthalEqualArea().rotate([-c[0], -c[1]]).clipAngle(90)
        .fitExtent([[pad, pad], [W - pad, this.H - pad]], part);
      if (proj.scale() > W * 8) proj.scale(W * 8).translate([W / 2, this.H / 2]);
    } else {
      proj = d3.geoEqualEarth().fitWidth(W, this.world);
    }
    this.proj = proj;
    var path = d3.geoPath(proj), all = this.all;
    this.features.forEach(function (feature, i) { all[i].setAttribute('d', path(feature) || ''); });
    this.root.classList.toggle('is-zoomed', !!f);
    this.back.hidden = !f;
  };

  OutageMap.prototype.zoom = function (a2, refocus) {
    if (a2 === this.focus) return;
    var was = this.focus;
    this.focus = a2;
    this.project();
    if (this.data) this.render();
    if (!a2 && refocus && this.paths[was]) this.paths[was].focus();
  };

  OutageMap.prototype.load = function () {
    if (this.busy) { this.pending = true; return; }
    this.busy = true;
    this.pending = false;
    var self = this;
    var win = this.root.dataset.window || '1h';
    var q = new URLSearchParams({ window: /^\d+$/.test(win) ? win + 'm' : win }); // "60" = 60m
    if (this.root.dataset.service) q.set('service', this.root.dataset.service);
    fetch('/api/v1/map?' + q.toString(), { headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        self.data = data;
        self.render();
        delete self.root.dataset.error;
      })
      .catch(function () { self.root.dataset.error = '1'; })
      .then(function () {
        self.busy = false;
        if (self.pending) self.load();
      });
  };

  OutageMap.prototype.describe = function (a2, c) {
    var text = this.name(a2) + ': ' + int.format(c ? c.reports : 0) + ' ' + this.label.reports;
    return c ? text + ' (' + this.label.normal + ' ' + amount(c.expected) + ')' : text;
  };

  OutageMap.prototype.render = function () {
    var self = this, data = this.data;
    var load = {};
    (data.countries || []).forEach(function (c) { load[c.country] = c; });
    Object.keys(this.paths).forEach(function (a2) {
      var p = self.paths[a2], c = load[a2], text = self.describe(a2, c);
      p.setAttribute('class', 'c c-' + level(c) + (a2 === self.focus ? ' is-selected' : ''));
      // In the tab order: countries with reports, unless the map is hidden from screen
      // readers (aria-hidden), where the table's buttons do the same.
      p.setAttribute('tabindex', c && c.reports > 0 && !self.silent ? '0' : '-1');
      p.setAttribute('aria-label', text);
      p.firstChild.textContent = text;
    });
    this.drawClusters(this.focus ? data.clusters || [] : []);
    this.table(load);
    this.root.dataset.loaded = '1';
  };

  OutageMap.prototype.drawClusters = function (clusters) {
    var self = this, g = this.clusters, s = W / 600;
    g.textContent = '';
    clusters.forEach(function (k) {
      var xy = self.proj([k.lon, k.lat]);
      if (!xy || xy[0] < 0 || xy[0] > W || xy[1] < 0 || xy[1] > self.H) return;
      var r = Math.min(W / 12, s * (2 + 1.5 * Math.sqrt(k.reports)));
      var circle = el('circle', { 'class': 'cluster', cx: xy[0].toFixed(1), cy: xy[1].toFixed(1),
        r: r.toFixed(1), 'vector-effect': 'non-scaling-stroke' }, g);
      el('title', {}, circle).textContent = int.format(k.reports) + ' ' + self.label.reports +
        ' (' + dec.format(k.lat) + ', ' + dec.format(k.lon) + ')';
    });
  };

  // Rows as the server writes them: <tr data-country><th><span class="cc">name</span></th>…;
  // a country on the map gets a button that zooms in (small countries are hard to hit).
  OutageMap.prototype.table = function (load) {
    if (!this.tbody) return;
    var self = this, rows = [];
    if (this.focus) {
      var c = load[this.focus];
      var subs = (this.data.subdivisions || []).filter(function (s) {
        return s.key.indexOf(self.focus + '-') === 0;
      });
      if (c || subs.length) rows.push({ code: this.focus, c: c || { reports: 0 } });
      subs.forEach(function (s) { rows.push({ sub: s.key, c: { reports: s.reports } }); });
    } else {
      (this.data.countries || []).forEach(function (c) { rows.push({ code: c.country, c: c }); });
    }
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      var th = document.createElement('th');
      th.scope = 'row';
      var name = document.createElement('span');
      if (r.code) {
        tr.setAttribute('data-country', r.code);
        name.className = 'cc';
        name.setAttribute('data-cc', r.code);
        name.title = r.code;
        name.textContent = self.name(r.code);
      } else {
        tr.setAttribute('data-subdivision', r.sub);
        tr.className = 'sub';
        name.textContent = r.sub;
      }
      if (r.code && !self.focus && self.byCode[r.code]) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'map-zoom';
        b.setAttribute('data-zoom', r.code);
        b.appendChild(name);
        th.appendChild(b);
      } else {
        th.appendChild(name);
      }
      tr.appendChild(th);
      var c = r.c;
      [int.format(c.reports), c.expected == null ? '–' : amount(c.expected), c.ratio == null ? '–' : ratio(c.ratio)]
        .forEach(function (text) {
          var td = document.createElement('td');
          td.textContent = text;
          tr.appendChild(td);
        });
      frag.appendChild(tr);
    });
    if (!rows.length) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      tr.className = 'empty-row';
      td.colSpan = 4;
      td.textContent = this.label.none;
      tr.appendChild(td);
      frag.appendChild(tr);
    }
    this.tbody.textContent = '';
    this.tbody.appendChild(frag);
  };

  function start() {
    document.querySelectorAll('div.map[data-geo], div.map[data-window]').forEach(function (root) {
      if (!root.dataset.mapInit) {
        root.dataset.mapInit = '1';
        new OutageMap(root);
      }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
