// Organization › Integrations › Webhooks in a real browser, against a receiver on 127.0.0.1 that
// this test runs (scripts/browser-test lets `roster serve` reach loopback and delivers every
// 200 ms). Its own organization, made with the CLI, so it needs nothing of the other files.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import http from "node:http";
import { launch, newPage, checkPage, roster, scim, ROSTER_URL } from "../harness.mjs";

const ADMIN = { email: "head@ogdenville.test", password: "ogdenville staff room passphrase" };
// Long on purpose: the pages must wrap it on a phone rather than scroll the whole page sideways.
const HOOK_PATH = "/hooks/roster/provisioning-events/content-service?tenant=ogdenville-academy";
const state = {};
let browser;
let page;
let receiver;
/// Every POST the receiver got, in order: { path, headers, body }.
const received = [];

before(async () => {
  receiver = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ path: request.url, headers: request.headers, body });
      // `/down` stands for a receiver that is failing, for the failing state's pages.
      response.writeHead(request.url.startsWith("/down") ? 503 : 200).end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  state.receiverUrl = `http://127.0.0.1:${receiver.address().port}`;

  const org = roster(["org", "create", "--name", "Ogdenville Academy", "--kind", "school", "--seats", "10"]);
  roster(["admin", "add", "--org", org.id, "--email", ADMIN.email], `${ADMIN.password}\n`);
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: ROSTER_URL });
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve()));
});

/// Waits until the receiver has got `count` deliveries at `path` (a prefix); returns them.
async function deliveriesTo(path, count) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const got = received.filter((r) => r.path.startsWith(path));
    if (got.length >= count) {
      return got;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} got ${received.filter((r) => r.path.startsWith(path)).length} deliveries, not ${count}`);
}

/// Whether a delivery's `webhook-signature` is the Standard Webhooks HMAC with `secret`.
function signedWith(delivery, secret) {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = `${delivery.headers["webhook-id"]}.${delivery.headers["webhook-timestamp"]}.${delivery.body}`;
  const expected = `v1,${createHmac("sha256", key).update(signed).digest("base64")}`;
  return delivery.headers["webhook-signature"].split(" ").includes(expected);
}

async function createScimUser(userName) {
  const created = await scim("POST", `${state.tenantUrl}/Users`, state.token, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    displayName: userName.split("@")[0],
    active: true,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
}

/// Opens the endpoint's page until its delivery log has `rows` rows (deliveries are logged just
/// after the receiver answers).
async function openEndpointUntilRows(rows) {
  const table = page.getByRole("table", { name: /Deliveries/ });
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await page.goto(state.hookPage);
    if ((await table.count()) > 0 && (await table.locator("tbody tr").count()) >= rows) {
      return table;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`the delivery log never showed ${rows} rows`);
}

test("sign in and enable SCIM for the organization", async () => {
  await page.goto(`${ROSTER_URL}/console/sign-in`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${ROSTER_URL}/console`);
  await page.goto(`${ROSTER_URL}/console/scim`);
  await page.getByRole("button", { name: "Enable and configure" }).click();
  state.tenantUrl = await page.getByLabel("Tenant URL").inputValue();
  state.token = await page.getByLabel("Secret token").inputValue();
  assert.match(state.token, /^roster_/);
});

test("a refused URL is explained and the form keeps what was typed", async () => {
  await page.goto(`${ROSTER_URL}/console/webhooks`);
  await assert.doesNotReject(page.getByText("No endpoints yet").waitFor());
  await checkPage(page, "webhooks-empty");
  await page.getByLabel(/^Endpoint URL/).fill("https://someone:password@hooks.example.test/roster");
  await page.getByLabel(/^Description/).fill("Content service");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await assert.doesNotReject(page.getByRole("alert").getByText(/webhook URL/).waitFor());
  assert.equal(await page.getByLabel(/^Description/).inputValue(), "Content service");
  await checkPage(page, "webhooks-refused");
  await page.goto(`${ROSTER_URL}/console/webhooks`);
  await assert.doesNotReject(page.getByText("No endpoints yet").waitFor());
});

test("add an endpoint: its signing secret is shown once, with a Copy button", async () => {
  state.hookUrl = `${state.receiverUrl}${HOOK_PATH}`;
  await page.getByLabel(/^Endpoint URL/).fill(state.hookUrl);
  await page.getByLabel(/^Description/).fill("Content service");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  state.secret = await page.getByLabel("Signing secret").inputValue();
  assert.match(state.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  await assert.doesNotReject(page.getByText(/shown only this once/).waitFor());
  const copy = page.getByRole("button", { name: "Copy signing secret" });
  await copy.click();
  await assert.doesNotReject(page.getByRole("button", { name: /^Copied/ }).waitFor());
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), state.secret);
  // Two seconds later the button reads Copy again, its screen-reader words still hidden.
  await assert.doesNotReject(page.getByRole("button", { name: "Copy signing secret" }).waitFor());
  assert.equal(await copy.locator(".sr-only").count(), 1);
  await checkPage(page, "webhook-added");
  state.hookPage = new URL(await page.getByRole("link", { name: state.hookUrl }).first().getAttribute("href"), ROSTER_URL).href;

  await page.goto(`${ROSTER_URL}/console/webhooks`);
  assert.equal((await page.content()).includes(state.secret), false, "the secret is shown again");
  await page.goto(state.hookPage);
  assert.equal((await page.content()).includes(state.secret), false, "the secret is on the endpoint's page");
  await assert.doesNotReject(page.getByText(/No deliveries yet/).waitFor());
  await checkPage(page, "webhook-no-deliveries");
});

test("provisioning is delivered, signed with the secret, and shows in the delivery log", async () => {
  await createScimUser("agnes@ogdenville.test");
  const [delivery] = await deliveriesTo("/hooks/", 1);
  assert.ok(signedWith(delivery, state.secret), "the signature is not the secret's");
  const body = JSON.parse(delivery.body);
  assert.ok(
    body.events.some((e) => e.type === "account.created" && JSON.stringify(e.data).includes("agnes@ogdenville.test")),
    delivery.body,
  );
  state.messageId = delivery.headers["webhook-id"];

  const table = await openEndpointUntilRows(1);
  const row = table.locator("tbody tr").first();
  await assert.doesNotReject(row.locator("code", { hasText: state.messageId }).waitFor());
  await assert.doesNotReject(row.getByText("Delivered").waitFor());
  await assert.doesNotReject(row.getByText("HTTP 200").waitFor());
  await checkPage(page, "webhook");
});

test("Resend sends the delivery again with its webhook-id", async () => {
  await page.getByRole("button", { name: `Resend ${state.messageId}` }).click();
  await page.waitForURL(state.hookPage);
  const got = await deliveriesTo("/hooks/", 2);
  assert.equal(got[1].headers["webhook-id"], state.messageId);
  assert.equal(got[1].body, got[0].body);
  const table = await openEndpointUntilRows(2);
  await assert.doesNotReject(table.locator("tbody tr").first().getByText(/Resent/).waitFor());
  await checkPage(page, "webhook-resent");
});

test("paused, nothing is delivered; resumed, what was missed arrives", async () => {
  await page.getByRole("button", { name: "Pause deliveries" }).click();
  await page.waitForURL(state.hookPage);
  await assert.doesNotReject(page.getByText("Paused", { exact: true }).first().waitFor());
  await checkPage(page, "webhook-paused");
  await createScimUser("cletus@ogdenville.test");
  // Five delivery rounds of 200 ms go by without a delivery.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal(received.filter((r) => r.path.startsWith("/hooks/")).length, 2);

  await page.getByRole("button", { name: "Resume deliveries" }).click();
  await page.waitForURL(state.hookPage);
  const got = await deliveriesTo("/hooks/", 3);
  assert.ok(got[2].body.includes("cletus@ogdenville.test"), got[2].body);
  await assert.doesNotReject(page.getByRole("button", { name: "Pause deliveries" }).waitFor());
});

test("a failing endpoint says so in the list and on its page", async () => {
  await page.goto(`${ROSTER_URL}/console/webhooks`);
  await page.getByLabel(/^Endpoint URL/).fill(`${state.receiverUrl}/down`);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await assert.doesNotReject(page.getByLabel("Signing secret").waitFor());
  await createScimUser("sarah@ogdenville.test");
  await deliveriesTo("/down", 1);
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await page.goto(`${ROSTER_URL}/console/webhooks`);
    if ((await page.getByText(/failed attempt/).count()) > 0) {
      break;
    }
    await page.waitForTimeout(250);
  }
  await assert.doesNotReject(page.getByText("Failing", { exact: true }).first().waitFor());
  await assert.doesNotReject(page.getByText(/since .* \(\d+ failed attempts?\); next attempt/).first().waitFor());
  await checkPage(page, "webhooks");
  await page.getByRole("link", { name: `${state.receiverUrl}/down` }).click();
  await assert.doesNotReject(page.getByText("HTTP 503").first().waitFor());
  await checkPage(page, "webhook-failing");
});

test("remove asks first; Keep it keeps it, confirming removes it", async () => {
  await page.goto(state.hookPage);
  await page.getByRole("link", { name: "Remove endpoint" }).click();
  await assert.doesNotReject(page.getByRole("heading", { name: /Remove the endpoint/ }).waitFor());
  await checkPage(page, "webhook-remove");
  await page.getByRole("link", { name: "Keep it" }).click();
  await page.waitForURL(state.hookPage);
  await page.getByRole("link", { name: "Remove endpoint" }).click();
  await page.getByRole("button", { name: "Remove endpoint" }).click();
  await assert.doesNotReject(page.getByRole("heading", { name: "Endpoint removed" }).waitFor());
  await assert.doesNotReject(page.getByRole("status").getByText(state.hookUrl).waitFor());
  await checkPage(page, "webhook-removed");
  await page.getByRole("link", { name: "Back to Webhooks" }).click();
  await page.waitForURL(`${ROSTER_URL}/console/webhooks`);
  assert.equal(await page.getByRole("link", { name: state.hookUrl }).count(), 0);
  const gone = await page.goto(state.hookPage);
  assert.equal(gone.status(), 404);

  const before = received.filter((r) => r.path.startsWith("/hooks/")).length;
  await createScimUser("lewis@ogdenville.test");
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.equal(received.filter((r) => r.path.startsWith("/hooks/")).length, before, "delivered after removal");
});
