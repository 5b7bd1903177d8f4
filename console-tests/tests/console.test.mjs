// The "How it is checked" scenarios, in order, against one real `roster serve`: each
// step builds on the state the previous ones left (one organization set up, SCIM enabled, ...).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  launch, newPage, checkPage, openUntilShown, roster, scim, ROSTER_URL, SETUP_LINK,
} from "../harness.mjs";

const ADMIN = { email: "principal@springfield.test", password: "correct horse battery staple" };
const OTHER = { email: "admin@shelbyville.test", password: "another long passphrase 42" };
const state = {};
let browser;
let page;

before(async () => {
  browser = await launch();
  page = await newPage(browser);
});

after(async () => {
  await browser?.close();
});

async function signIn(p, who) {
  await p.goto(`${ROSTER_URL}/console/sign-in`);
  await p.getByLabel("Email").fill(who.email);
  await p.getByLabel("Password").fill(who.password);
  await p.getByRole("button", { name: "Sign in" }).click();
}

async function createScimUser(token, userName) {
  return scim("POST", `${state.tenantUrl}/Users`, token, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    displayName: userName.split("@")[0],
    active: true,
    externalId: `ext-${userName}`,
  });
}

test("first-run setup creates the organization and its administrator, then is gone", async () => {
  await page.goto(SETUP_LINK);
  await checkPage(page, "setup");
  await page.getByLabel("Organization name").fill("Springfield Elementary");
  await page.getByLabel("School").check();
  await page.getByLabel("Seats").fill("3");
  await page.getByLabel("Your email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create the organization and sign in" }).click();
  await page.waitForURL(`${ROSTER_URL}/console/scim`);
  await assert.doesNotReject(page.getByText("Springfield Elementary").first().waitFor());
  const again = await page.goto(SETUP_LINK);
  assert.equal(again.status(), 404);
});

test("sign-out and sign-in", async () => {
  await page.goto(`${ROSTER_URL}/console`);
  await checkPage(page, "overview-empty");
  await page.getByRole("button", { name: /Sign out/ }).click();
  await page.waitForURL(/\/console\/sign-in/);
  await checkPage(page, "sign-in");
  const protectedPage = await page.goto(`${ROSTER_URL}/console/users`);
  assert.match(page.url(), /\/console\/sign-in/);
  assert.equal(protectedPage.status(), 200);
  await signIn(page, { ...ADMIN, password: "wrong password, long enough" });
  await assert.doesNotReject(page.getByText("do not match").waitFor());
  await checkPage(page, "sign-in-refused");
  await signIn(page, ADMIN);
  await page.waitForURL(`${ROSTER_URL}/console`);
});

test("enable SCIM and read the token from the page, shown this once", async () => {
  await page.goto(`${ROSTER_URL}/console/scim`);
  await checkPage(page, "scim-disabled");
  await page.getByRole("button", { name: "Enable and configure" }).click();
  state.tenantUrl = await page.getByLabel("Tenant URL").inputValue();
  state.token = await page.getByLabel("Secret token").inputValue();
  assert.match(state.tenantUrl, /\/scim\/v2\//);
  assert.match(state.token, /^roster_/);
  await assert.doesNotReject(page.getByText("Sync only assigned users and groups").waitFor());
  await checkPage(page, "scim-just-enabled");
  await page.goto(`${ROSTER_URL}/console/scim`);
  assert.equal((await page.content()).includes(state.token), false, "the token is shown again");
  await checkPage(page, "scim-enabled");
});

test("configure Microsoft SSO: refused fields marked, then configured, linked from SCIM and the sign-in page", async () => {
  await page.goto(`${ROSTER_URL}/console/sso`);
  await assert.doesNotReject(page.getByText("Not configured").waitFor());
  await checkPage(page, "sso-not-configured");
  const form = page.locator('form[action="/console/sso"]');
  await form.getByRole("radio", { name: "Microsoft Entra ID" }).check();
  await page.getByLabel("Directory (tenant) ID").fill("contoso.onmicrosoft.com");
  await page.getByLabel("Application (client) ID").fill("roster-app");
  await page.getByRole("button", { name: "Configure sign-in" }).click();
  await assert.doesNotReject(page.getByText(/The tenant id must be the Directory \(tenant\) ID/).waitFor());
  await assert.doesNotReject(page.getByText("The client secret is required.").waitFor());
  assert.equal(await page.getByLabel("Application (client) ID").inputValue(), "roster-app");
  await checkPage(page, "sso-refused-fields");

  const secret = "Qx8~browser-test.secret-value";
  await page.getByLabel("Directory (tenant) ID").fill("72f988bf-86f1-41af-91ab-2d7cd011db47");
  await page.getByLabel("Client secret").fill(secret);
  await page.getByRole("button", { name: "Configure sign-in" }).click();
  await assert.doesNotReject(page.getByText("Sign-in is configured.").waitFor());
  assert.equal((await page.content()).includes(secret), false, "the client secret is shown");
  assert.match(await page.getByLabel("Redirect URI").inputValue(), /\/sso\/callback$/);
  const consoleLink = await page.getByLabel("Console sign-in link").inputValue();
  state.ssoSignIn = await page.getByLabel(/^Sign-in link/).inputValue();
  await checkPage(page, "sso-configured");

  await page.goto(`${ROSTER_URL}/console/scim`);
  await assert.doesNotReject(page.getByText(/Sign-in with Microsoft:/).waitFor());
  assert.equal((await page.content()).includes("is not configured"), false);

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const visitor = await context.newPage();
  await visitor.goto(consoleLink);
  const button = visitor.getByRole("link", { name: "Sign in with Microsoft" });
  assert.equal(await button.getAttribute("href"), new URL(state.ssoSignIn).pathname);
  await checkPage(visitor, "sign-in-with-microsoft");
  await context.close();

  await page.goto(`${ROSTER_URL}/console/sign-ins`);
  await assert.doesNotReject(page.getByText("Nobody has signed in").waitFor());
  await checkPage(page, "sign-ins-empty");

  await page.goto(`${ROSTER_URL}/console/sso`);
  await page.getByRole("link", { name: /Disable sign-in with Microsoft/ }).click();
  await checkPage(page, "sso-disable");
  await page.getByRole("button", { name: "Disable sign-in with Microsoft" }).click();
  await page.waitForURL(`${ROSTER_URL}/console/sso`);
  await assert.doesNotReject(page.getByText("Not configured").waitFor());
});

test("a user created over SCIM shows in Users and in the provisioning log", async () => {
  const created = await createScimUser(state.token, "bart@springfield.test");
  assert.equal(created.status, 201, JSON.stringify(created.body));
  state.bartId = created.body.id;
  await page.goto(`${ROSTER_URL}/console/users`);
  await assert.doesNotReject(page.getByRole("link", { name: /bart/ }).first().waitFor());
  await checkPage(page, "users");
  await page.getByRole("link", { name: /bart/ }).first().click();
  await assert.doesNotReject(page.getByText(/managed by SCIM/i).first().waitFor());
  await checkPage(page, "user");
  await openUntilShown(page, `${ROSTER_URL}/console/log`, "bart@springfield.test");
  await checkPage(page, "log");
});

test("a seat-limit refusal is shown in words", async () => {
  // Three seats: the administrator, Bart and Lisa.
  assert.equal((await createScimUser(state.token, "lisa@springfield.test")).status, 201);
  const refused = await createScimUser(state.token, "milhouse@springfield.test");
  assert.equal(refused.status, 409);
  await openUntilShown(page, `${ROSTER_URL}/console/log?outcome=failure`, /3 of 3 seats/);
  await checkPage(page, "log-refusals");
  await page.goto(`${ROSTER_URL}/console`);
  await assert.doesNotReject(page.getByText(/milhouse@springfield.test/).first().waitFor());
  await checkPage(page, "overview-warnings");
});

test("rotate the token and the old one still works during the grace period", async () => {
  await page.goto(`${ROSTER_URL}/console/scim`);
  await page.getByRole("button", { name: "Rotate token" }).click();
  const rotated = await page.getByLabel("Secret token").inputValue();
  assert.notEqual(rotated, state.token);
  await assert.doesNotReject(page.getByText(/keeps working until/).first().waitFor());
  await checkPage(page, "scim-rotated");
  const withOld = await scim("GET", `${state.tenantUrl}/Users?count=1`, state.token);
  assert.equal(withOld.status, 200);
  const withNew = await scim("GET", `${state.tenantUrl}/Users?count=1`, rotated);
  assert.equal(withNew.status, 200);
  state.token = rotated;
});

test("deactivate an account by hand to free a seat", async () => {
  await page.goto(`${ROSTER_URL}/console/users?search=lisa`);
  await page.getByRole("link", { name: "lisa@springfield.test" }).click();
  await page.getByRole("button", { name: "Deactivate" }).click();
  await assert.doesNotReject(page.getByText(/Entra overwrites manual changes/).first().waitFor());
  await checkPage(page, "user-deactivated");
});

test("invite an independent account from the log's link", async () => {
  roster(["user", "add", "--user-name", "nelson@independent.test", "--display-name", "Nelson"]);
  const refused = await createScimUser(state.token, "nelson@independent.test");
  assert.equal(refused.status, 409);
  await openUntilShown(page, `${ROSTER_URL}/console/log?text=nelson`, /Invite this person/);
  await page.getByRole("button", { name: /Invite this person/ }).first().click();
  await assert.doesNotReject(page.getByText("nelson@independent.test").first().waitFor());
  await checkPage(page, "user-invited");
  const account = roster(["user", "show", "nelson@independent.test"]);
  assert.ok(account.org, "the account joined the organization");
});

test("groups: list, create, add a member", async () => {
  await page.goto(`${ROSTER_URL}/console/groups`);
  await checkPage(page, "groups");
  await page.getByLabel("Group name").fill("Teachers' room");
  await page.getByRole("button", { name: "Create group" }).click();
  await assert.doesNotReject(page.getByRole("heading", { name: "Teachers' room" }).waitFor());
  await page.getByLabel("userName of the person to add").fill("nelson@independent.test");
  await page.getByRole("button", { name: "Add member" }).click();
  await assert.doesNotReject(page.getByText("nelson@independent.test").first().waitFor());
  await checkPage(page, "group");
});

test("set retention and read the dry-run count", async () => {
  await page.goto(`${ROSTER_URL}/console/retention`);
  await checkPage(page, "retention-off");
  await page.getByRole("radio", { name: "Remove after a number of days" }).check();
  await page.locator("#days").fill("30");
  await page.getByRole("button", { name: "Save" }).click();
  await assert.doesNotReject(page.getByText(/next run would remove 0 accounts/i).waitFor());
  await checkPage(page, "retention");
});

test("API keys: create one (shown once), use it on the feed, revoke it after confirming", async () => {
  await page.goto(`${ROSTER_URL}/console/api-keys`);
  await checkPage(page, "api-keys-empty");
  await page.getByLabel("Name").fill("Content service");
  await page.getByRole("button", { name: "Create API key" }).click();
  const key = await page.getByLabel("API key").inputValue();
  assert.match(key, /^roster_key_/);
  await checkPage(page, "api-key-created");
  const feed = await fetch(`${ROSTER_URL}/api/v1/events`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(feed.status, 200);
  await page.goto(`${ROSTER_URL}/console/api-keys`);
  assert.equal((await page.content()).includes(key), false, "the key is shown again");
  await checkPage(page, "api-keys");
  await page.getByRole("link", { name: /Revoke/ }).click();
  await checkPage(page, "api-key-revoke");
  await page.getByRole("button", { name: "Revoke the key" }).click();
  await page.waitForURL(`${ROSTER_URL}/console/api-keys`);
  await assert.doesNotReject(page.getByText(/^Revoked /).first().waitFor());
  const refused = await fetch(`${ROSTER_URL}/api/v1/events`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(refused.status, 401);
});

test("the audit log shows what was done", async () => {
  await page.goto(`${ROSTER_URL}/console/audit`);
  await assert.doesNotReject(page.getByText("SCIM token rotated").first().waitFor());
  await assert.doesNotReject(page.getByText("API key revoked").first().waitFor());
  await checkPage(page, "audit");
});

test("a forged cross-site form post is refused", async () => {
  const attacker = await page.context().newPage();
  await attacker.setContent(
    `<form method="post" action="${ROSTER_URL}/console/scim/disable"><input name="csrf" value="guess"><button>go</button></form>`,
  );
  const [response] = await Promise.all([
    attacker.waitForNavigation(),
    attacker.getByRole("button", { name: "go" }).click(),
  ]);
  assert.equal(response.status(), 403);
  assert.match(await attacker.content(), /Form refused/);
  await checkPage(attacker, "form-refused");
  await attacker.close();
  const still = await scim("GET", `${state.tenantUrl}/Users?count=1`, state.token);
  assert.equal(still.status, 200, "SCIM is still enabled");
});

test("a second organization's administrator cannot see or change the first's data by URL", async () => {
  const other = roster(["org", "create", "--name", "Shelbyville High", "--kind", "school", "--seats", "10"]);
  roster(["admin", "add", "--org", other.id, "--email", OTHER.email], `${OTHER.password}\n`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const intruder = await context.newPage();
  await signIn(intruder, OTHER);
  await intruder.waitForURL(`${ROSTER_URL}/console`);
  const user = await intruder.goto(`${ROSTER_URL}/console/users/${state.bartId}`);
  assert.equal(user.status(), 404);
  assert.equal((await intruder.content()).includes("bart@springfield.test"), false);
  await checkPage(intruder, "not-found");
  await intruder.goto(`${ROSTER_URL}/console/users`);
  const csrf = await intruder.locator('input[name="csrf"]').first().inputValue();
  const change = await intruder.request.post(`${ROSTER_URL}/console/users/${state.bartId}/active`, {
    form: { csrf, active: "false" },
    headers: { origin: ROSTER_URL },
  });
  assert.equal(change.status(), 404);
  const bart = roster(["user", "show", "bart@springfield.test"]);
  assert.equal(bart.active, true);
  await context.close();
});

test("repeated wrong passwords are throttled", async () => {
  const context = await browser.newContext();
  const p = await context.newPage();
  for (let i = 0; i < 5; i += 1) {
    await signIn(p, { ...OTHER, password: `wrong password number ${i}` });
  }
  await signIn(p, OTHER);
  await assert.doesNotReject(p.getByText(/Too many failed sign-ins/).waitFor());
  await checkPage(p, "sign-in-throttled");
  await context.close();
});

test("sign-out ends the session", async () => {
  await page.goto(`${ROSTER_URL}/console`);
  await page.getByRole("button", { name: /Sign out/ }).click();
  await page.waitForURL(/\/console\/sign-in/);
  await page.goto(`${ROSTER_URL}/console/scim`);
  assert.match(page.url(), /\/console\/sign-in/);
});
