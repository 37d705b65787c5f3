// How much work the two main journeys take, measured in a real browser with JavaScript
// off: every click, key press and piece of typed text counts as one action, and every
// pixel the person has to scroll to see the next thing they act on is added up.
//
//   node journeys.mjs BASE_URL      (prints the counts; check.mjs runs the same code)
//
// 1. The link worker, on a results page: shortlist three results, then reach the
//    printable handout.
// 2. The person: home -> type what and where -> search -> open a result -> read "How
//    to join".
import { chromium } from "playwright-core";

// One journey's tally in a browser context of the given size.
class Tally {
  constructor(page, height) {
    this.page = page;
    this.height = height;
    this.actions = 0;
    this.scrolled = 0;
    // The most scrolling between two actions, in pixels.
    this.maxGap = 0;
    this.gap = 0;
    this.log = [];
  }
  // Scrolls, as a person would with the wheel, until `locator` is fully on screen;
  // counts the pixels.
  async bringIntoView(locator) {
    for (let i = 0; i < 200; i++) {
      const box = await locator.boundingBox();
      if (!box) throw new Error("element has no box");
      let dy = 0;
      if (box.y < 0) dy = box.y - 8;
      else if (box.y + box.height > this.height) dy = Math.min(box.y, box.y + box.height - this.height + 8);
      if (Math.abs(dy) < 1) return;
      await this.page.mouse.wheel(0, dy);
      await this.page.waitForTimeout(30);
      const after = await locator.boundingBox();
      const moved = Math.abs(after.y - box.y);
      if (moved < 1) return; // cannot scroll further
      this.scrolled += moved;
      this.gap += moved;
    }
  }
  step(what) {
    this.actions += 1;
    this.maxGap = Math.max(this.maxGap, this.gap);
    this.gap = 0;
    this.log.push(what);
  }
  async click(locator, what) {
    await this.bringIntoView(locator);
    this.step(`click ${what}`);
    await Promise.all([this.page.waitForLoadState(), locator.click()]);
  }
  async type(text) {
    this.step(`type "${text}"`);
    await this.page.keyboard.type(text);
  }
  async press(key) {
    this.step(`press ${key}`);
    await this.page.keyboard.press(key);
  }
  summary() {
    return `${this.actions} actions, ${Math.round(this.scrolled)} px scrolled (${(this.scrolled / this.height).toFixed(1)} screens), most between two actions ${Math.round(this.maxGap)} px`;
  }
}

// Picks, of the elements matching `locator`, the one that needs the least scrolling.
async function nearest(locator, height) {
  let best = null;
  let bestCost = Infinity;
  for (let i = 0; i < (await locator.count()); i++) {
    const el = locator.nth(i);
    const box = await el.boundingBox();
    if (!box) continue;
    const cost = box.y < 0 ? -box.y : Math.max(0, box.y + box.height - height);
    if (cost < bestCost) {
      best = el;
      bestCost = cost;
    }
  }
  if (!best) throw new Error("nothing to act on");
  return best;
}

/** The link worker: from `searchPath`, shortlist three results and open the handout. */
export async function linkWorker(browser, base, searchPath, viewport) {
  const ctx = await browser.newContext({ viewport, javaScriptEnabled: false });
  const page = await ctx.newPage();
  const t = new Tally(page, viewport.height);
  try {
    await page.goto(base + searchPath);
    for (let n = 0; n < 3; n++) {
      const add = page
        .locator(".card a, .card button")
        .filter({ hasText: /^\s*Add\b[\s\S]*to shortlist\s*$/ })
        .first();
      await t.click(add, `add result ${n + 1} to the shortlist`);
    }
    // The handout link nearest to hand: on a card, else on the shortlist page.
    const print = page.locator("a").filter({ hasText: /^\s*Print a handout\s*$/ });
    if ((await print.count()) === 0) {
      await t.click(await nearest(page.locator("a[href^='/shortlist?s=']"), viewport.height), "the shortlist");
    }
    await t.click(await nearest(page.locator("a").filter({ hasText: /^\s*Print a handout\s*$/ }), viewport.height), "Print a handout");
    if (!/\/shortlist\/print\?s=\d+\.\d+\.\d+/.test(page.url())) throw new Error(`ended at ${page.url()}`);
    const entries = await page.locator("li.entry").count();
    if (entries !== 3) throw new Error(`the handout lists ${entries}, not 3`);
    return t;
  } finally {
    await ctx.close();
  }
}

/** The person: home, type what and where, search, open the first result, read how to join. */
export async function person(browser, base, what, where, viewport) {
  const ctx = await browser.newContext({ viewport, javaScriptEnabled: false });
  const page = await ctx.newPage();
  const t = new Tally(page, viewport.height);
  try {
    await page.goto(base + "/");
    await t.type(what); // the search box has focus when the page opens
    await t.press("Tab");
    await t.type(where);
    await Promise.all([page.waitForURL(/\/search\?/), t.press("Enter")]);
    await t.click(page.locator(".card h3 a").first(), "the first result");
    // A link to the section, if the page has one near the top, else scrolling.
    const jump = page.locator("a[href='#how-to-join']");
    if ((await jump.count()) > 0) await t.click(jump.first(), "How to join");
    await t.bringIntoView(page.locator("h2").filter({ hasText: "How to join" }));
    t.maxGap = Math.max(t.maxGap, t.gap);
    return t;
  } finally {
    await ctx.close();
  }
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Runs both journeys at both sizes; returns printable lines and the tallies. */
export async function measure(browser, base, searchPath) {
  const out = [];
  for (const [label, vp] of [["phone", PHONE], ["desktop", DESKTOP]]) {
    const lw = await linkWorker(browser, base, searchPath, vp);
    out.push({ line: `journey link worker ${label}: ${lw.summary()}`, tally: lw, who: "link worker", label });
    const p = await person(browser, base, "walking", "M33", vp);
    out.push({ line: `journey person ${label}: ${p.summary()}`, tally: p, who: "person", label });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [base, searchPath = "/search?q=walking&near=M33&within=5"] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    for (const r of await measure(browser, base, searchPath)) {
      console.log(r.line);
      console.log("  " + r.tally.log.join("; "));
    }
  } finally {
    await browser.close();
  }
}
