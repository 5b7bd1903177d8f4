// Shared pieces of the console browser tests: Debian's Chromium through playwright-core, an
// axe-core check and desktop + phone screenshots of every page visited.
import { chromium } from "playwright-core";
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

export const ROSTER_URL = required("ROSTER_URL");
export const SETUP_LINK = required("ROSTER_SETUP_LINK");
const SCREENSHOT_DIR = required("SCREENSHOT_DIR");
const ROSTER_BIN = required("ROSTER_BIN");

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run scripts/browser-test`);
  }
  return value;
}

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000);
  return context.newPage();
}

const seen = new Set();

/// Checks the page in view with axe-core (no serious or critical violation) and saves a desktop
/// and a phone screenshot named `name`.
export async function checkPage(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  const grave = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    grave.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `accessibility violations on ${name} (${page.url()})`,
  );
  if (seen.has(name)) {
    return;
  }
  seen.add(name);
  const viewport = page.viewportSize();
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(viewport);
}

/// Runs the roster CLI against the server's database; returns its parsed JSON output.
export function roster(args, input) {
  const out = execFileSync(ROSTER_BIN, ["--json", ...args], {
    input: input ?? "",
    env: process.env,
    encoding: "utf8",
  });
  return JSON.parse(out);
}

/// A SCIM request with a bearer token.
export async function scim(method, url, token, body) {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/scim+json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/// Opens `url` until `pattern` shows on it: provisioning log entries are written just after the
/// SCIM answer, so a page opened at once may not have them yet.
export async function openUntilShown(page, url, pattern) {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await page.goto(url);
    if ((await page.getByText(pattern).count()) > 0) {
      return;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`${pattern} never showed on ${url}`);
}
