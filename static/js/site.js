/* Downwatch pages: local times, country names, the report form without a reload, and live
   updates from /api/v1/events. Pages work without this script; it only makes them nicer. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";

  /* Times: the markup says UTC; show the reader's own zone and keep UTC on hover. */
  function localise(root) {
    var times = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) continue;
      var opts = el.dataset.format === "time"
        ? { hour: "2-digit", minute: "2-digit" }
        : { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
      try { el.textContent = new Intl.DateTimeFormat(lang, opts).format(d); } catch (e) { /* keep UTC */ }
    }
    var names = null;
    try { names = new Intl.DisplayNames([lang], { type: "region" }); } catch (e) { names = null; }
    if (!names) return;
    var codes = root.querySelectorAll(".cc[data-cc]");
    for (var j = 0; j < codes.length; j++) {
      var code = codes[j].dataset.cc;
      try {
        var name = names.of(code);
        if (name && name !== code) { codes[j].textContent = name; codes[j].title = code; }
      } catch (e) { /* not a region code */ }
    }
  }

  /* Live parts of the page ([data-live-service], [data-live]) are re-read from the server. */
  var refreshing = false;
  function refresh() {
    document.dispatchEvent(new CustomEvent("downwatch:refresh"));
    var live = document.querySelectorAll("[data-live-service][id], [data-live][id]");
    if (!live.length || refreshing) return;
    refreshing = true;
    var url = new URL(location.href);
    url.searchParams.delete("reported");
    fetch(url.toString(), { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        for (var i = 0; i < live.length; i++) {
          var fresh = doc.getElementById(live[i].id);
          if (fresh) {
            var node = document.importNode(fresh, true);
            live[i].replaceWith(node);
            localise(node);
          }
        }
      })
      .catch(function () { /* keep what is shown */ })
      .then(function () { refreshing = false; });
  }
  var pending = null;
  function soon() {
    if (pending) return;
    pending = setTimeout(function () { pending = null; refresh(); }, 800);
  }

  function listen() {
    if (!window.EventSource || document.body.classList.contains("embed")) return;
    var holder = document.querySelector("[data-live-service]");
    var url = "/api/v1/events";
    if (holder) url += "?service=" + encodeURIComponent(holder.dataset.liveService);
    var source = new EventSource(url);
    ["incident-opened", "incident-escalated", "incident-updated", "incident-resolved", "state-changed",
     "outage-opened", "outage-grew", "outage-updated", "outage-resolved",
     "official-changed"]
      .forEach(function (name) { source.addEventListener(name, soon); });
    source.onmessage = soon;
    if (document.querySelector("[data-live-service], [data-live]")) setInterval(refresh, 60000);
  }

  /* The platform a reporter chose is remembered in this browser (only here, never sent
     until they report again). */
  var PLATFORM_KEY = "downwatch.platform";
  function rememberPlatform(form) {
    var saved = null;
    try { saved = localStorage.getItem(PLATFORM_KEY); } catch (e) { saved = null; }
    if (saved) {
      var radio = form.querySelector("input[name=platform][value='" + saved.replace(/[^a-z-]/g, "") + "']");
      if (radio) radio.checked = true;
    }
    form.addEventListener("change", function (e) {
      if (e.target.name !== "platform") return;
      try { localStorage.setItem(PLATFORM_KEY, e.target.value); } catch (err) { /* private mode */ }
    });
  }

  /* The report form: sent with fetch, answered in place. */
  function enhanceForm(form) {
    var message = form.querySelector(".form-message");
    var button = form.querySelector("button[type=submit]");
    function say(key, warn) {
      message.textContent = form.dataset[key] || "";
      message.classList.toggle("warn", !!warn);
    }
    form.addEventListener("change", function (e) {
      var checked = form.querySelectorAll("input[name=symptoms]:checked");
      if (checked.length > 3 && e.target.checked) { e.target.checked = false; say("msgTooMany", true); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var symptoms = Array.prototype.map.call(
        form.querySelectorAll("input[name=symptoms]:checked"), function (i) { return i.value; });
      if (symptoms.length < 1 || symptoms.length > 3) { say("msgInvalid", true); return; }
      var report = { service: form.elements.service.value, symptoms: symptoms };
      var platform = form.querySelector("input[name=platform]:checked");
      if (platform) report.platform = platform.value;
      var text = form.elements.message ? form.elements.message.value.trim() : "";
      if (text) report.message = text;
      button.disabled = true;
      fetch("/api/v1/reports", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(report)
      }).then(function (r) {
        if (r.status === 202) {
          return r.json().then(function (ack) {
            say(ack.counted ? "msgThanks" : "msgAlready", false);
            form.querySelectorAll("input[name=symptoms]:checked").forEach(function (i) { i.checked = false; });
            if (form.elements.message) form.elements.message.value = "";
            soon();
          });
        }
        if (r.status === 429) say("msgLimited", true);
        else if (r.status === 400) {
          return r.json().then(function (problem) {
            say(problem.field === "message" ? "msgMessage" : "msgInvalid", true);
          }, function () { say("msgInvalid", true); });
        }
        else say("msgError", true);
      }).catch(function () { say("msgError", true); })
        .then(function () { button.disabled = false; });
    });
  }

  function start() {
    localise(document);
    var form = document.getElementById("report-form");
    if (form) rememberPlatform(form);
    if (form && window.fetch) enhanceForm(form);
    listen();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
