// Downwatch's pages in a real headless Chromium. Run by scripts/browser-test, which starts
// `downwatch demo` and sets BASE (its URL), ARTIFACTS (a directory for screenshots) and
// CHROMIUM (the browser). The demo feeds a handful of big services; the tests report on a
// quiet one, so what they see is their own doing.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const BASE = process.env.BASE ?? "http://127.0.0.1:8080";
const ARTIFACTS = process.env.ARTIFACTS ?? "/tmp";
const SERVICE = "poste-italiane";

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-extensions", "--no-first-run"],
  });
});
after(async () => { await browser?.close(); });

/** A page in a fresh context; every console error and CSP violation fails the test. */
async function open(t, path, options = {}) {
  const { viewport = { width: 1100, height: 900 }, ...rest } = options;
  const context = await browser.newContext({ viewport, locale: "en-GB", timezoneId: "Europe/Rome", ...rest });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(String(e)));
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], `console errors on ${path}`);
  });
  const response = await page.goto(BASE + path, { waitUntil: "load" });
  assert.equal(response.status(), 200, `GET ${path}`);
  return page;
}

/** Reports through the API from distinct addresses (the demo trusts loopback proxies). */
async function surge(count, firstOctet, symptoms, extra = {}) {
  let counted = 0;
  for (let i = 0; i < count; i++) {
    const ip = `${firstOctet}.${(i * 7) % 250 + 1}.${i % 250 + 1}.${(i % 200) + 10}`;
    const r = await fetch(`${BASE}/api/v1/reports`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Forwarded-For": ip, "User-Agent": `browser-test/${i}` },
      body: JSON.stringify({ service: SERVICE, symptoms, region: "IT", ...extra }),
    });
    const body = await r.text();
    assert.equal(r.status, 202, body);
    if (JSON.parse(body).counted) counted++;
  }
  return counted;
}

async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}

async function symptomsOf(slug) {
  const r = await fetch(`${BASE}/api/v1/services/${slug}`);
  return (await r.json()).symptoms;
}

test("without JavaScript the form reports and the page says thank you", async (t) => {
  const page = await open(t, `/s/${SERVICE}`, { javaScriptEnabled: false, extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.10" } });
  const boxes = page.locator("#report-form input[name=symptoms]");
  assert.ok((await boxes.count()) >= 3, "the service's symptoms are offered");
  // Every control has a label.
  for (const id of await page.locator("input, select, textarea").evaluateAll((els) =>
    els.filter((e) => e.type !== "hidden" && !e.closest("label") && !(e.id && document.querySelector(`label[for="${e.id}"]`))).map((e) => e.outerHTML))) {
    assert.fail(`a control without a label: ${id}`);
  }
  await boxes.nth(0).check();
  await Promise.all([page.waitForURL(/reported=thanks/), page.locator("#report-form button[type=submit]").click()]);
  assert.match(await page.locator(".notice").innerText(), /counted/);

  // Nothing chosen: a friendly word, not an error page.
  await Promise.all([page.waitForURL(/reported=invalid/), page.locator("#report-form button[type=submit]").click()]);
  assert.match(await page.locator(".notice").innerText(), /at least one/);
});

test("with JavaScript the form reports in place and the chart's count rises", async (t) => {
  const page = await open(t, `/s/${SERVICE}`, { extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.20" } });
  const chart = page.locator("figure.chart");
  await page.waitForFunction(() => document.querySelector("figure.chart")?.dataset.loaded === "1");
  const before = Number(await chart.getAttribute("data-total"));
  const url = page.url();
  await page.locator("#report-form input[name=symptoms]").nth(1).check();
  await page.locator("#report-form button[type=submit]").click();
  await page.waitForFunction(() => document.querySelector(".form-message")?.textContent.length > 0);
  assert.match(await page.locator(".form-message").innerText(), /counted/);
  assert.equal(page.url(), url, "no page load");
  await page.waitForFunction((n) => Number(document.querySelector("figure.chart").dataset.total) > n, before, { timeout: 20000 });
  // The same person again: counted once, said kindly.
  await page.locator("#report-form input[name=symptoms]").nth(0).check();
  await page.locator("#report-form button[type=submit]").click();
  await page.waitForFunction(() => /already/.test(document.querySelector(".form-message")?.textContent));
});

test("a surge turns the banner red, live, and opens an incident", { timeout: 200000 }, async (t) => {
  const page = await open(t, `/s/${SERVICE}`);
  assert.equal(await page.locator(".banner").getAttribute("class"), "banner state-ok");
  const symptoms = await symptomsOf(SERVICE);
  // Most of them on the iOS app, seeing the same error written their own ways; one with a
  // phone number, which must never be shown.
  const counted = await surge(60, 100, [symptoms[0]], { platform: "ios", message: "Something went wrong (error 503)" })
    + await surge(19, 101, [symptoms[0]], { platform: "web", message: "something went WRONG! (Error 502)" })
    + await surge(1, 102, [symptoms[0]], { message: "call me on +39 333 123 4567" });
  assert.ok(counted >= 70, `${counted} of 80 counted`);
  // The detector ticks every minute; the page hears it over /api/v1/events.
  await page.waitForSelector(".banner.state-problems", { timeout: 180000 });
  assert.match(await page.locator(".banner").innerText(), /indicate problems/);
  await page.waitForFunction(() => document.querySelector("figure.chart")?.dataset.loaded === "1");
  // The live part of the page now shows where and what people saw, never the phone number.
  await page.waitForFunction(() => /something went wrong error #/.test(document.querySelector("#recent")?.textContent));
  const recent = await page.locator("#recent").innerText();
  assert.match(recent, /iPhone\/iPad app/);
  assert.doesNotMatch(recent, /333|4567/);
  await shot(page, "service");
});

test("the map shades the country of the reports and lists it in the table", async (t) => {
  const page = await open(t, `/map?service=${SERVICE}`);
  await page.waitForFunction(() => document.querySelector(".map")?.dataset.loaded === "1");
  const italy = page.locator('.map-svg path[data-country="IT"]');
  const cls = await italy.getAttribute("class");
  assert.match(cls, /c-[34]/, `Italy is shaded well above normal: ${cls}`);
  assert.match(await page.locator('.map-table tr[data-country="IT"]').innerText(), /Italy/);
  await shot(page, "map");
});

test("the incident page shows evidence, a timeline and citable links", async (t) => {
  const r = await fetch(`${BASE}/api/v1/incidents?service=${SERVICE}`);
  const { incidents } = await r.json();
  assert.ok(incidents.length >= 1, "the surge opened an incident");
  const page = await open(t, `/incidents/${incidents[0].id}`);
  assert.match(await page.locator("h1").innerText(), /Poste Italiane/);
  assert.ok(await page.locator("table.timeline tbody tr").count() >= 1);
  assert.equal(await page.locator(`a[href="/api/v1/incidents/${incidents[0].id}"]`).count(), 1);
  await page.waitForFunction(() => document.querySelector("figure.chart")?.dataset.loaded === "1");
  assert.ok(Number(await page.locator("figure.chart").getAttribute("data-total")) >= 70);
  const evidence = await page.locator("#evidence-h + dl, #evidence-h ~ *").allInnerTexts();
  assert.match(evidence.join("\n"), /\d+% on the iOS app/);
  assert.match(evidence.join("\n"), /something went wrong error #/);
  await shot(page, "incident");
});

test("the home page lists the service among the problems", async (t) => {
  const page = await open(t, "/");
  await page.locator(`.cards a[href="/s/${SERVICE}"]`).waitFor();
  await page.locator("#q").fill("poste");
  await Promise.all([page.waitForURL(/q=poste/), page.locator("#q").press("Enter")]);
  assert.ok(await page.locator(`.services a[href="/s/${SERVICE}"]`).count() === 1, "search finds it");
  await page.goto(BASE + "/");
  await shot(page, "home");
});

test("the outage archive lists the demo's ISP outage and its page names the network", async (t) => {
  const page = await open(t, "/outages");
  const card = page.locator(".cards.outages li").first();
  assert.match(await card.innerText(), /Telecom Italia/);
  await shot(page, "outages");
  await Promise.all([page.waitForURL(/\/outages\/\d+$/), card.locator("a").first().click()]);
  assert.match(await page.locator("h1").innerText(), /Telecom Italia/);
  assert.match(await page.locator(".causes").innerText(), /Probably an outage at the network Telecom Italia/);
  assert.ok(await page.locator('a[href="/s/netflix"]').count() === 1, "members link their service");
  assert.ok(await page.locator('a[href="/s/tim"]').count() === 1, "the network's operator is linked");
  await page.goto(BASE + "/s/netflix");
  if (await page.locator(".wider-outage").count()) {
    assert.match(await page.locator(".wider-outage").innerText(), /not at Netflix/);
  }
  await shot(page, "outage");
  // The filters narrow the list; an empty one says so.
  await page.goto(BASE + "/outages?category=bank");
  assert.match(await page.locator(".empty").innerText(), /No outage matches/);
});

test("the chatbot's page says what its official status page says, beside the crowd", async (t) => {
  // The demo plays ChatGPT's official page (no request leaves the machine): operational at
  // first, a partial outage posted a few minutes after reports rose during its outage.
  const page = await open(t, "/s/chatgpt");
  const line = page.locator("#official");
  await line.waitFor();
  const text = await line.innerText();
  assert.match(text, /ChatGPT's status page: (Operational|Partial outage — ChatGPT)/, text);
  assert.equal(await line.locator("a").getAttribute("rel"), "nofollow noopener noreferrer");
  const api = await (await fetch(`${BASE}/api/v1/services/chatgpt/official`)).json();
  assert.ok(["operational", "issues"].includes(api.state), JSON.stringify(api));
  // A service with a source the demo does not play: polling is off, and the page says so.
  const quiet = await open(t, "/s/github");
  assert.match(await quiet.locator("#official").innerText(), /GitHub's status page: Not checked yet/);
  await shot(page, "service-official");
});

test("Italian readers get Italian, and a 360 px phone gets no sideways scrolling", async (t) => {
  const page = await open(t, `/s/${SERVICE}`, { viewport: { width: 360, height: 780 }, locale: "it-IT", extraHTTPHeaders: { "Accept-Language": "it-IT,it;q=0.9" } });
  assert.equal(await page.getAttribute("html", "lang"), "it");
  assert.match(await page.locator("#report-h").innerText(), /Ho un problema/);
  await page.waitForFunction(() => document.querySelector("figure.chart")?.dataset.loaded === "1");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() => [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`).join(", "));
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone: ${wide}`);
  await shot(page, "service-phone-it");
});

test("the platform is one tap, remembered in the browser, and sent with a message", async (t) => {
  const page = await open(t, `/s/${SERVICE}`, { extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.30" } });
  const ios = page.locator('#report-form input[name=platform][value="ios"]');
  assert.equal(await ios.isChecked(), false, "nothing chosen at first");
  await page.locator('#report-form label.platform', { hasText: "iPhone/iPad app" }).click();
  assert.equal(await ios.isChecked(), true, "one tap on the label");
  await page.locator("#report-form input[name=symptoms]").nth(0).check();
  await page.locator("#report-message").fill("Oops, something broke");
  const sent = page.waitForRequest((r) => r.url().endsWith("/api/v1/reports"));
  await page.locator("#report-form button[type=submit]").click();
  const body = JSON.parse((await sent).postData());
  assert.equal(body.platform, "ios");
  assert.equal(body.message, "Oops, something broke");
  await page.waitForFunction(() => /counted/.test(document.querySelector(".form-message")?.textContent));
  assert.equal(await page.locator("#report-message").inputValue(), "", "the message is cleared");
  await page.reload();
  assert.equal(await page.locator('#report-form input[name=platform][value="ios"]').isChecked(), true,
    "the platform is remembered");
  assert.equal(await page.locator("#report-message").getAttribute("maxlength"), "80");
});

test("the service page in every language, with its dates and numbers", async (t) => {
  for (const [tag, accept, heading] of [
    ["en", "en-GB", /I have a problem/],
    ["it", "it-IT", /Ho un problema/],
    ["es", "es-ES", /Tengo un problema/],
    ["fr", "fr-FR", /J’ai un problème/],
    ["de", "de-DE", /Ich habe ein Problem/],
    ["pt-BR", "pt-BR", /Estou com um problema/],
  ]) {
    const page = await open(t, `/s/${SERVICE}`, { locale: accept, extraHTTPHeaders: { "Accept-Language": accept } });
    assert.equal(await page.getAttribute("html", "lang"), tag);
    assert.match(await page.locator("#report-h").innerText(), heading);
    const langs = await page.locator("nav.langs").innerText();
    for (const name of ["English", "Italiano", "Español", "Français", "Deutsch", "Português (Brasil)"]) {
      assert.ok(langs.includes(name), `${tag}: the switch lists ${name}`);
    }
    await page.waitForFunction(() => document.querySelector("figure.chart")?.dataset.loaded === "1");
    await shot(page, `service-${tag}`);
  }
});

test("the service page's first load is small (compressed, without map geometry)", async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const sizes = [];
  page.on("requestfinished", async (req) => {
    const s = await req.sizes();
    sizes.push([req.url(), s.responseBodySize + s.responseHeadersSize]);
  });
  await page.goto(`${BASE}/s/${SERVICE}`, { waitUntil: "networkidle" });
  const counted = sizes.filter(([u]) => !u.includes("/world-atlas/") && !u.includes("/api/v1/events"));
  const total = counted.reduce((a, [, n]) => a + n, 0);
  console.log(`service page: ${counted.length} requests, ${(total / 1024).toFixed(1)} KiB compressed (without map geometry)`);
  assert.ok(total < 300 * 1024, `${total} bytes`);
});

test("pages pass axe's accessibility rules (WCAG 2 A/AA: contrast, labels, landmarks)", async (t) => {
  const { createRequire } = await import("node:module");
  const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
  const r = await fetch(`${BASE}/api/v1/incidents?service=${SERVICE}`);
  const { incidents } = await r.json();
  const paths = ["/", `/s/${SERVICE}`, "/s/chatgpt", `/map?service=${SERVICE}`, `/incidents/${incidents[0].id}`, "/?lang=it", `/s/${SERVICE}?lang=de`, "/outages"];
  for (const scheme of ["light", "dark"]) {
    // axe is injected as a script: the test context bypasses the pages' CSP for it alone.
    const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme });
    t.after(() => context.close());
    const page = await context.newPage();
    for (const path of paths) {
      await page.goto(BASE + path, { waitUntil: "load" });
      await page.waitForTimeout(300);
      await page.addScriptTag({ path: axePath });
      const result = await page.evaluate(() =>
        window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] } }));
      const serious = result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
      assert.deepEqual(serious, [], `${path} (${scheme})`);
    }
  }
});
