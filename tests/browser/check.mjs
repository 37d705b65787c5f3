// Accessibility checks in a real browser, run by tests/it/browser.rs against a live server.
//
//   node check.mjs BASE_URL PATH [PATH ...]
//
// 1. axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every path given.
// 2. Reflow: no horizontal scrolling at 320 CSS px wide (WCAG 1.4.10) and at a 1280 px
//    screen zoomed to 200% (a 640 px viewport).
// 3. The link worker's journey with JavaScript turned off and the keyboard alone:
//    home -> search -> filter -> add to shortlist -> listing -> shortlist -> handout.
// 4. Results first: with JavaScript off, at 390 x 844 and 1280 x 800, the first result
//    of a search with words and a postcode starts on the first screen, and at
//    1280 x 800 at least three result cards are fully visible; the first category tile
//    and the moderator's first queue item are on the first screen too.
// 5. The two journeys (journeys.mjs), counting actions and scrolling: shortlist three
//    from a results page and reach the handout in at most 8 actions with no page of
//    scrolling between them; home -> search -> a listing -> "How to join".
// 6. With SCREENSHOTS_DIR set, screenshots of the results page on a phone and a
//    desktop are written there (docs/ in the repository).
//
// Prints one line per finding and exits 1 if there were any.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DESKTOP, PHONE, measure } from "./journeys.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [base, ...paths] = process.argv.slice(2);
const problems = [];
const problem = (msg) => {
  problems.push(msg);
  console.log("PROBLEM " + msg);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

try {
  // 1. axe. bypassCSP only lets the test inject axe; the pages themselves run no script.
  const axeContext = await browser.newContext({ bypassCSP: true });
  const page = await axeContext.newPage();
  // axe on the page that is open, reported under `label`.
  async function axeHere(label) {
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(async () =>
      // eslint-disable-next-line no-undef
      await axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      }),
    );
    for (const v of result.violations) {
      const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ");
      problem(`axe ${label}: ${v.id} (${v.impact}): ${v.help} at ${where}`);
    }
    console.log(`axe ${label}: ${result.violations.length} violations, ${result.passes.length} rules passed`);
  }
  for (const path of paths) {
    await page.goto(base + path);
    await axeHere(path);
  }
  // The group's journey (no JavaScript needed, but axe needs it on): the form with
  // errors, check your answers, the confirmation and the private page.
  try {
    await page.goto(base + "/add");
    await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
    if ((await page.locator(".error-summary").count()) !== 1) problem("add: no error summary on an empty form");
    await axeHere("add (errors)");
    await page.fill("#title", "Browser test walk");
    await page.check("#types-walking");
    await page.uncheck("#modes-in-person").catch(() => {});
    await page.check("#modes-in-person");
    await page.fill("#postcode", "M33 7XW");
    await page.check("#free-yes");
    await page.check("#join_method-drop-in");
    await page.fill("#contact_phone", "0161 123 4567");
    await Promise.all([page.waitForLoadState(), page.click("button.button[type=submit]")]);
    await axeHere("add (check answers)");
    await Promise.all([page.waitForLoadState(), page.click("button.button[type=submit]")]);
    await axeHere("add (sent)");
    const link = await page.locator("#private-link").getAttribute("href");
    await page.goto(link);
    await axeHere("manage (pending)");
  } catch (e) {
    problem("add journey: " + String(e.message || e));
  }
  // The moderator's pages, signed in: the queue (with the submission just sent), the
  // submission, finding a listing, the audit log, the listings that need a category and
  // the searches that found nothing.
  try {
    await page.goto(base + "/moderate/login");
    await page.fill("#username", process.env.MODERATOR_USER);
    await page.fill("#password", process.env.MODERATOR_PASSWORD);
    await Promise.all([page.waitForLoadState(), page.click("button.button[type=submit]")]);
    if (!page.url().endsWith("/moderate")) problem("moderator sign-in did not reach the queue: " + page.url());
    await axeHere("moderate (queue)");
    await page.goto(await page.locator("a[href^='/moderate/submissions/']").first().evaluate((a) => a.href));
    await axeHere("moderate (submission)");
    await page.goto(base + "/moderate/find?q=walking");
    if ((await page.locator("ul.queue li").count()) === 0) problem("moderate find: nothing found for walking");
    await axeHere("moderate (find)");
    await page.goto(base + "/moderate/audit");
    await axeHere("moderate (audit)");
    await page.goto(base + "/moderate/categories");
    if ((await page.locator("main section.card").count()) === 0) problem("needs a category: no listing shown");
    await axeHere("moderate (needs a category)");
    // A search that finds nothing shows on the moderators' list of them.
    await page.goto(base + "/search?q=qwxz+vbnm");
    await page.goto(base + "/moderate/searches");
    if ((await page.locator("td a", { hasText: "qwxz vbnm" }).count()) !== 1) problem("searches that found nothing: the search is not listed");
    await axeHere("moderate (searches that found nothing)");
  } catch (e) {
    problem("moderator pages: " + String(e.message || e));
  }
  await axeContext.close();

  // A printed handout (normal size) fits on one A4 page.
  const printPage = await browser.newPage();
  for (const path of paths.filter((p) => p.startsWith("/shortlist/print") && !p.includes("size=large"))) {
    await printPage.goto(base + path);
    const pdf = await printPage.pdf({ format: "A4", preferCSSPageSize: true });
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    if (pages !== 1) problem(`print ${path}: the handout takes ${pages} A4 pages`);
    console.log(`print ${path}: ${pages} A4 page(s)`);
  }
  await printPage.close();

  // 2. Reflow at 320 px and at 200% zoom.
  for (const [width, height, label] of [[320, 640, "320px"], [640, 400, "200% zoom"]]) {
    const ctx = await browser.newContext({ viewport: { width, height }, javaScriptEnabled: true });
    const p = await ctx.newPage();
    for (const path of paths) {
      await p.goto(base + path);
      const [scroll, inner] = await p.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      if (scroll > inner) problem(`reflow ${label} ${path}: page is ${scroll}px wide in a ${inner}px window`);
    }
    console.log(`reflow ${label}: checked ${paths.length} pages`);
    await ctx.close();
  }

  // 3. Keyboard only, no JavaScript.
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const p = await ctx.newPage();
  // Presses Tab until an element matching `selector` has focus; returns its text.
  async function tabTo(selector, what, textPart = null, limit = 200) {
    for (let i = 0; i < limit; i++) {
      await p.keyboard.press("Tab");
      const f = p.locator(`${selector}:focus`);
      if ((await f.count()) > 0) {
        const text = (await f.textContent()) || "";
        if (textPart === null || text.includes(textPart)) return text;
      }
    }
    throw new Error(`keyboard: could not reach ${what} with Tab on ${p.url()}`);
  }
  try {
    await p.goto(base + "/");
    if ((await p.locator("#q:focus").count()) !== 1) problem("keyboard: the search box does not have focus on the home page");
    await p.keyboard.type("walking");
    await tabTo("#near", "the postcode box");
    await p.keyboard.type("M33");
    await Promise.all([p.waitForURL(/\/search\?/), p.keyboard.press("Enter")]);
    if (!/q=walking/.test(p.url()) || !/near=M33/.test(p.url())) problem(`keyboard: search went to ${p.url()}`);
    await tabTo("#free", "the Free only filter");
    await p.keyboard.press("Space");
    await tabTo("button", "Apply filters", "Apply filters");
    await Promise.all([p.waitForURL(/free=1/), p.keyboard.press("Enter")]);
    await tabTo("button", "an Add to shortlist button", "to shortlist");
    await Promise.all([p.waitForURL(/[?&]s=\d/), p.keyboard.press("Enter")]);
    const title = await tabTo(".card h3 a", "a result title");
    await Promise.all([p.waitForURL(/\/listings\/\d+/), p.keyboard.press("Enter")]);
    const h1 = await p.locator("h1").textContent();
    if (h1.trim() !== title.trim()) problem(`keyboard: opened "${h1}" after choosing "${title}"`);
    await tabTo("a", "View shortlist", "View shortlist");
    await Promise.all([p.waitForURL(/\/shortlist\?s=/), p.keyboard.press("Enter")]);
    await tabTo("a", "Print a handout", "Print a handout");
    await Promise.all([p.waitForURL(/\/shortlist\/print\?s=/), p.keyboard.press("Enter")]);
    const handout = await p.locator("h1").textContent();
    if (handout !== "Activities suggested for you") problem(`keyboard: handout heading is "${handout}"`);
    const entries = await p.locator("li.entry").count();
    if (entries < 1) problem("keyboard: the handout lists nothing");
    console.log(`keyboard journey without JavaScript: ok, handout lists ${entries}`);
  } catch (e) {
    problem(String(e.message || e));
  }
  await ctx.close();

  // 4. Results first.
  const resultsPath = process.env.RESULTS_PATH || "/search?q=walking&near=M33+7XW&within=5";
  for (const [label, vp] of [["phone", PHONE], ["desktop", DESKTOP]]) {
    const c = await browser.newContext({ viewport: vp, javaScriptEnabled: false });
    const pg = await c.newPage();
    try {
      await pg.goto(base + resultsPath);
      const boxes = [];
      for (const card of await pg.locator("li.card").all()) boxes.push(await card.boundingBox());
      if (boxes.length === 0) throw new Error(`no results on ${resultsPath}`);
      const top = Math.round(boxes[0].y);
      const whole = boxes.filter((b) => b.y >= 0 && b.y + b.height <= vp.height).length;
      console.log(`first screen ${label}: first result at ${top}px of ${vp.height}, ${whole} cards fully visible`);
      if (top >= vp.height) problem(`first screen ${label}: the first result starts at ${top}px, below the ${vp.height}px screen`);
      if (label === "desktop" && whole < 3) problem(`first screen desktop: only ${whole} result cards fully visible`);
      if (process.env.SCREENSHOTS_DIR) {
        const file = `${process.env.SCREENSHOTS_DIR}/search-${label}.png`;
        await pg.screenshot({ path: file });
        console.log(`screenshot ${file}`);
      }
      await pg.goto(base + "/categories");
      const tile = await pg.locator("ul.tiles li").first().boundingBox();
      console.log(`first screen ${label} /categories: first tile at ${Math.round(tile.y)}px`);
      if (tile.y + tile.height > vp.height) problem(`first screen ${label}: the first category is not on the first screen`);
      // The moderator's queue, signed in without JavaScript.
      await pg.goto(base + "/moderate/login");
      await pg.fill("#username", process.env.MODERATOR_USER);
      await pg.fill("#password", process.env.MODERATOR_PASSWORD);
      await Promise.all([pg.waitForLoadState(), pg.click("button.button[type=submit]")]);
      const item = await pg.locator("main ul.queue li, main table tbody tr").first().boundingBox();
      if (!item) problem(`first screen ${label}: the moderator queue shows no item`);
      else {
        console.log(`first screen ${label} /moderate: first item at ${Math.round(item.y)}px`);
        if (item.y + Math.min(item.height, 40) > vp.height) problem(`first screen ${label}: the moderator's first item is not on the first screen`);
      }
      // The other moderator lists: the first item's heading or row on the first screen.
      for (const [path, first] of [
        ["/moderate/categories", "main section.card h2"],
        ["/moderate/searches", "main table tbody tr"],
      ]) {
        await pg.goto(base + path);
        const box = await pg.locator(first).first().boundingBox();
        if (!box) problem(`first screen ${label}: ${path} shows no item`);
        else {
          console.log(`first screen ${label} ${path}: first item at ${Math.round(box.y)}px`);
          if (box.y + box.height > vp.height) problem(`first screen ${label}: the first item of ${path} is not on the first screen`);
        }
      }
    } catch (e) {
      problem(`first screen ${label}: ${e.message || e}`);
    }
    await c.close();
  }

  // 5. The journeys, counted.
  try {
    for (const r of await measure(browser, base, resultsPath)) {
      console.log(r.line);
      if (r.who === "link worker") {
        if (r.tally.actions > 8) problem(`${r.line}: more than 8 actions`);
        if (r.tally.maxGap >= (r.label === "phone" ? PHONE : DESKTOP).height) problem(`${r.line}: a page or more of scrolling between two actions`);
      }
    }
  } catch (e) {
    problem("journeys: " + String(e.message || e));
  }
} finally {
  await browser.close();
}
console.log(`${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
