// Opens every page of the course website in headless Chromium and fails on what a reader
// would see as broken:
//   - a console error, an uncaught exception, or a request that fails or leaves the site
//     (the site must work from disk, with no network);
//   - a relative link to a file or an anchor that does not exist;
//   - fewer charts on the page than its notebook renders (<meta name="topicmod-charts">),
//     or a chart that does not show (an SVG with no size, an image that does not decode);
//   - formulas left as TeX (<meta name="topicmod-formulas"> > 0 but nothing typeset, or a
//     MathJax error);
//   - a slider that does not change the chart it shows when moved with the keyboard;
//   - a notebook page without its links to the outline and to the previous/next page.
// The practice edition's pages linked from the outline are checked the same way (they have
// no outputs, so they show only the charts their notebook holds, usually none).
// Every page is checked twice: opened from disk (file://) and served over HTTP by a small
// static server started here, as a web host would serve the folder. It saves screenshots
// of every page (first screen and full page from disk, first screen over HTTP), of every
// chart, and of each slider before and after moving it.
//
//   node check_site.mjs SITE_DIR SCREENSHOT_DIR   check a built site (scripts/test)
//   node check_site.mjs --self-test               check the checker on broken pages
//
// The browser is Debian's chromium (CHROMIUM overrides the path), driven by playwright-core.

import { chromium } from "playwright-core";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BROWSER = process.env.CHROMIUM || "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];
const VIEWPORT = { width: 1280, height: 900 };
const MATH_TIMEOUT_MS = 60000;

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "topicmod-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: BROWSER, headless: true, args: ARGS, viewport: VIEWPORT,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

function idsIn(file) {
  const text = fs.readFileSync(file, "utf8");
  const ids = new Set();
  for (const m of text.matchAll(/\s(?:id|name)="([^"]+)"/g)) ids.add(m[1]);
  return ids;
}

// Problems with the relative links of a page (external links are not followed: no network).
function checkLinks(pageFile, hrefs) {
  const problems = [];
  for (const href of hrefs) {
    if (/^(https?:|mailto:|data:|javascript:)/i.test(href)) continue;
    const url = new URL(href, pathToFileURL(pageFile));
    if (url.protocol !== "file:") continue;
    const target = fileURLToPath(url);
    if (!fs.existsSync(target)) {
      problems.push(`broken link ${href}: ${path.basename(target)} does not exist`);
      continue;
    }
    const frag = decodeURIComponent(url.hash.slice(1));
    const raw = url.hash.slice(1);
    if (frag && fs.statSync(target).isFile() && !idsIn(target).has(frag) && !idsIn(target).has(raw)) {
      problems.push(`broken link ${href}: no anchor "${frag}" in ${path.basename(target)}`);
    }
  }
  return problems;
}

const sha = (s) => createHash("sha1").update(s).digest("hex").slice(0, 10);

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png",
  ".svg": "image/svg+xml", ".woff": "font/woff", ".otf": "font/otf", ".eot": "application/vnd.ms-fontobject",
  ".json": "application/json" };

// Serves `dir` on 127.0.0.1 (a free port) the way a static web host would.
function serve(dir) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path.join(dir, rel.endsWith("/") ? rel + "index.html" : rel);
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// Everything about one page; `expectNav` = {prev, next} file names (or null) for notebook
// pages, null for the outline. `base` is the site's URL (file:// or http://...); `file`
// is the page on disk.
async function checkPage(context, base, file, shots, expectNav, siteDir = path.dirname(file)) {
  // A page in a subfolder (the practice edition) is named with its folder: practice-NN-...
  const rel = path.relative(siteDir, file).split(path.sep).join("/");
  const name = rel.replace(/\.html$/, "").replaceAll("/", "-");
  const overHttp = base.startsWith("http");
  const problems = [];
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`uncaught exception: ${e.message}`));
  const local = (url) => url.startsWith(base) || url.startsWith("data:");
  page.on("requestfailed", (r) => {
    if (!local(r.url())) return; // aborted below, reported there
    problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (local(url)) return route.continue();
    problems.push(`request to the network: ${url}`);
    return route.abort();
  });
  await page.goto(base + rel, { waitUntil: "load" });

  // Formulas: wait until MathJax has typeset the page.
  const hasMathJax = await page.evaluate(() => typeof window.MathJax !== "undefined" && !!window.MathJax.Hub);
  if (hasMathJax) {
    const finished = await page.evaluate((ms) => new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      window.MathJax.Hub.Queue(() => { clearTimeout(t); resolve(true); });
    }), MATH_TIMEOUT_MS);
    if (!finished) problems.push(`MathJax did not finish typesetting within ${MATH_TIMEOUT_MS / 1000} s`);
  }
  const meta = async (n) => Number(await page.evaluate((n) => document.querySelector(`meta[name="${n}"]`)?.content ?? "0", n));
  const wantFormulas = await meta("topicmod-formulas");
  const math = await page.evaluate(() => ({
    typeset: document.querySelectorAll(".MathJax, .MathJax_Display, .MathJax_SVG, mjx-container").length,
    errors: document.querySelectorAll(".MathJax_Error, merror").length,
    rawTex: [...document.querySelectorAll(".jp-MarkdownOutput")].some((e) => e.innerText.includes("$$")),
  }));
  if (wantFormulas > 0 && (!hasMathJax || math.typeset === 0)) problems.push(`formulas not typeset (${wantFormulas} Markdown cells hold TeX)`);
  if (math.errors > 0) problems.push(`${math.errors} formula(s) with a MathJax error`);
  if (math.rawTex) problems.push("raw $$...$$ TeX left in the page");

  // Charts: visible, sized SVGs or decoded SVG images in cell outputs.
  const wantCharts = await meta("topicmod-charts");
  const charts = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll(".jp-OutputArea-output svg, .jp-OutputArea-output img")) {
      if (el.tagName.toLowerCase() === "svg" && el.parentElement.closest("svg")) continue;
      if (el.tagName.toLowerCase() === "img" && !el.src.startsWith("data:image/svg+xml")) continue;
      const r = el.getBoundingClientRect();
      if (getComputedStyle(el).display === "none" || el.closest('[style*="display:none"], [style*="display: none"]')) continue;
      out.push({ w: r.width, h: r.height, decoded: el.tagName.toLowerCase() === "img" ? el.naturalWidth > 0 : true });
    }
    return out;
  });
  const shown = charts.filter((c) => c.w > 100 && c.h > 100 && c.decoded).length;
  if (!overHttp) {
    // One picture per chart, to look at each as a reader would see it.
    const handles = await page.$$(".jp-OutputArea-output > img, .jp-OutputArea-output > svg, .jp-OutputArea-output .tm-slide[style*='block'] > svg");
    for (let i = 0; i < handles.length; i++) {
      if (await handles[i].isVisible()) await handles[i].screenshot({ path: path.join(shots, `${name}-chart${i}.png`) });
    }
  }
  if (shown < wantCharts) problems.push(`shows ${shown} chart(s), its notebook renders ${wantCharts}`);

  // Sliders: moving one must show another chart, one at a time.
  const sliders = await page.locator(".tm-slider").count();
  for (let i = 0; i < sliders; i++) {
    const slider = page.locator(".tm-slider").nth(i);
    const state = () => slider.evaluate((el) => {
      const slides = [...el.querySelectorAll(".tm-slide")];
      const visible = slides.filter((s) => getComputedStyle(s).display !== "none");
      return { n: slides.length, visible: visible.map((s) => slides.indexOf(s)), html: visible.map((s) => s.innerHTML).join("") };
    });
    const before = await state();
    if (!overHttp) await slider.screenshot({ path: path.join(shots, `${name}-slider${i}-before.png`) });
    const input = slider.locator('input[type="range"]');
    await input.focus();
    await page.keyboard.press("End");
    const after = await state();
    if (!overHttp) await slider.screenshot({ path: path.join(shots, `${name}-slider${i}-after.png`) });
    await page.keyboard.press("Home");
    const first = await state();
    if (before.visible.length !== 1) problems.push(`slider ${i} shows ${before.visible.length} charts at once`);
    else if (after.visible.length !== 1 || after.visible[0] !== before.n - 1 || sha(after.html) === sha(before.html)) {
      problems.push(`slider ${i}: moving it to the end did not show its last chart (showed ${after.visible} of ${before.n})`);
    } else if (first.visible.length !== 1 || first.visible[0] !== 0) {
      problems.push(`slider ${i}: moving it to the start did not show its first chart (showed ${first.visible})`);
    }
  }

  // Links, and the navigation of a notebook page.
  const hrefs = await page.evaluate(() => [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")));
  problems.push(...checkLinks(file, hrefs)); // the same relative files either way
  if (expectNav) {
    const nav = await page.evaluate(() => [...document.querySelectorAll("nav.tm-nav")].map((n) => ({
      up: n.querySelector(".tm-up a")?.getAttribute("href") ?? null,
      prev: n.querySelector('a[rel="prev"]')?.getAttribute("href") ?? null,
      next: n.querySelector('a[rel="next"]')?.getAttribute("href") ?? null,
    })));
    if (nav.length < 2) problems.push(`${nav.length} navigation bar(s), want one at the top and one at the bottom`);
    for (const n of nav) {
      if (!n.up || path.basename(n.up) !== "index.html") problems.push(`navigation without a link to the outline (${n.up})`);
      if (n.prev !== expectNav.prev) problems.push(`"previous" links to ${n.prev}, want ${expectNav.prev}`);
      if (n.next !== expectNav.next) problems.push(`"next" links to ${n.next}, want ${expectNav.next}`);
    }
  }

  await page.evaluate(() => window.scrollTo(0, 0)); // chart screenshots scrolled the page
  if (overHttp) {
    await page.screenshot({ path: path.join(shots, `${name}-http.png`) });
  } else {
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
    await page.screenshot({ path: path.join(shots, `${name}-full.png`), fullPage: true });
  }
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.close();
  return { name: `${name} (${overHttp ? "http" : "disk"})`, file, problems, shown, wantCharts, typeset: math.typeset, sliders, links: hrefs.length, height };
}

// The notebook pages, in the outline's order.
function pagesOf(siteDir) {
  const index = fs.readFileSync(path.join(siteDir, "index.html"), "utf8");
  const body = index.slice(index.indexOf("<tbody>"), index.indexOf("</tbody>"));
  const pages = [];
  for (const m of body.matchAll(/<tr><td><a href="([^"]+\.html)"/g)) pages.push(m[1]);
  return pages;
}

// The practice edition's pages that the outline links (its last column).
function practicePagesOf(siteDir) {
  const index = fs.readFileSync(path.join(siteDir, "index.html"), "utf8");
  return [...index.matchAll(/<a href="(practice\/[^"]+\.html)">practice<\/a>/g)].map((m) => m[1]);
}

export async function checkSite(siteDir, shots) {
  fs.mkdirSync(shots, { recursive: true });
  const pages = pagesOf(siteDir);
  const results = [];
  const browser = await launch();
  const server = await serve(siteDir);
  const bases = [pathToFileURL(siteDir).href + "/", `http://127.0.0.1:${server.address().port}/`];
  try {
    for (const base of bases) {
      const index = await checkPage(browser.context, base, path.join(siteDir, "index.html"), shots, null);
      if (pages.length === 0) index.problems.push("the outline lists no notebook pages");
      results.push(index);
      for (let i = 0; i < pages.length; i++) {
        const expectNav = { prev: i > 0 ? pages[i - 1] : null, next: i + 1 < pages.length ? pages[i + 1] : null };
        results.push(await checkPage(browser.context, base, path.join(siteDir, pages[i]), shots, expectNav));
      }
      // A practice page links only up to the outline.
      for (const p of practicePagesOf(siteDir)) {
        results.push(await checkPage(browser.context, base, path.join(siteDir, p), shots, { prev: null, next: null }, siteDir));
      }
    }
  } finally {
    await browser.close();
    server.close();
  }
  return results;
}

function report(results) {
  let bad = 0;
  for (const r of results) {
    const what = `${r.shown}/${r.wantCharts} charts, ${r.typeset} formulas typeset, ${r.sliders} slider(s), ${r.links} links, ${r.height} px tall`;
    if (r.problems.length === 0) {
      console.log(`ok     ${r.name}: ${what}`);
    } else {
      bad++;
      console.log(`FAILED ${r.name}: ${what}`);
      for (const p of r.problems) console.log(`         - ${p}`);
    }
  }
  console.log(`site pages: ${results.length - bad} passed, ${bad} failed`);
  return bad;
}

// A small site with one good page and pages that each break one rule: the checker must
// pass the first and name the fault of every other.
async function selfTest() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "topicmod-site-selftest-"));
  const chart = (label) => `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"><text x="10" y="20">${label}</text><rect x="10" y="30" width="200" height="100"/></svg>`;
  const slider = (handler) => `<div class="tm-slider"><input type="range" min="0" max="1" value="0" oninput="${handler}">` +
    `<div class="tm-slide" style="display:block">${chart("a")}</div><div class="tm-slide" style="display:none">${chart("b")}</div></div>`;
  const working = "var fs=this.closest('.tm-slider').querySelectorAll('.tm-slide');for(var i=0;i&lt;fs.length;i++){fs[i].style.display=(i==this.value)?'block':'none';}";
  const page = (name, { charts = 1, body = "", prev = null, next = null, head = "" } = {}) => {
    const nav = `<nav class="tm-nav">${prev ? `<a rel="prev" href="${prev}">p</a>` : ""}<span class="tm-up"><a href="index.html">up</a></span>${next ? `<a rel="next" href="${next}">n</a>` : ""}</nav>`;
    fs.writeFileSync(path.join(dir, name), `<!DOCTYPE html><html><head><meta name="topicmod-charts" content="${charts}">${head}</head><body id="top">${nav}` +
      `<div class="jp-OutputArea-output">${body}</div>${nav}</body></html>`);
  };
  const cases = {
    "good.html": [{ body: slider(working) + `<a href="good.html#top">ok</a>`, next: "console.html" }, null],
    "console.html": [{ body: chart("c") + "<script>console.error('boom')</script>", prev: "good.html", next: "link.html" }, /console error: boom/],
    "link.html": [{ body: chart("c") + '<a href="missing.html">x</a> <a href="good.html#nowhere">y</a>', prev: "console.html", next: "chart.html" }, /broken link missing\.html[\s\S]*no anchor "nowhere"/],
    "chart.html": [{ charts: 2, body: chart("c"), prev: "link.html", next: "slider.html" }, /shows 1 chart\(s\), its notebook renders 2/],
    "slider.html": [{ body: slider(""), prev: "chart.html", next: "net.html" }, /slider 0: moving it to the end did not show/],
    "net.html": [{ body: chart("c"), head: '<script src="https://cdn.example.invalid/x.js"></script>', prev: "slider.html", next: "nav.html" }, /request to the network: https:\/\/cdn\.example\.invalid/],
    "nav.html": [{ body: chart("c"), prev: "net.html" }, /"next" links to null, want math\.html/],
    "math.html": [{ body: chart("c"), prev: "nav.html", head: '<meta name="topicmod-formulas" content="1">' }, /formulas not typeset/],
  };
  const names = Object.keys(cases);
  fs.writeFileSync(path.join(dir, "index.html"), `<html><body><table><tbody>${names.map((n) => `<tr><td><a href="${n}">${n}</a></td></tr>`).join("")}</tbody></table></body></html>`);
  for (const [name, [opts]] of Object.entries(cases)) page(name, opts);
  const results = await checkSite(dir, path.join(dir, "shots"));
  const failures = [];
  for (const r of results) {
    const page = path.basename(r.file);
    const want = page === "index.html" ? null : cases[page][1];
    const text = r.problems.join("\n");
    if (want === null && r.problems.length) failures.push(`${r.name}: unexpected problems: ${text}`);
    if (want !== null && !want.test(text)) failures.push(`${r.name}: expected ${want}, got: ${text || "no problem"}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  if (failures.length) {
    for (const f of failures) console.log(`self-test FAILED ${f}`);
    return 1;
  }
  console.log(`check_site self-test: ok (${names.length} pages from disk and over HTTP, ${names.length - 1} faults found each way)`);
  return 0;
}

async function main(argv) {
  if (argv[0] === "--self-test") return selfTest();
  if (argv.length !== 2) {
    console.error("usage: node check_site.mjs SITE_DIR SCREENSHOT_DIR | --self-test");
    return 2;
  }
  const [siteDir, shots] = argv.map((a) => path.resolve(a));
  if (!fs.existsSync(path.join(siteDir, "index.html"))) {
    console.error(`${siteDir}/index.html not found: build the site first (scripts/lesson --site)`);
    return 2;
  }
  return report(await checkSite(siteDir, shots)) === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
