// Sign-in with Microsoft in a real browser against a real OpenID Provider: oidc-provider shaped
// like Entra ID (console-tests/op/entra-op.mjs), one issuer per tenant. SCIM creates, renames,
// deactivates and reactivates people over HTTP; Chromium signs them in through the provider's
// login page; Roster does discovery, JWKS, the code exchange with PKCE and the token's
// validation against that provider, with nothing of the protocol mocked.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import { checkPage, launch, newPage, ROSTER_URL, roster, scim } from "../harness.mjs";

const OP_URL = process.env.OP_URL;
if (!OP_URL) {
  throw new Error("OP_URL is not set: run scripts/browser-test");
}

const CONTOSO = randomUUID();
const FABRIKAM = randomUUID();
const CLIENT_ID = randomUUID();
// Entra's client secrets hold `~`, `.`, `_` and `-`: they must survive the token request's
// client authentication.
const CLIENT_SECRET = "Qx8~Zs.4Lk_p2-Vn9Rt~Wm3.Yb7Hc_Jd5-Ef1G";

let browser;
let org;
let tenantUrl;
let token;

async function op(path, body) {
  const response = await fetch(`${OP_URL}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

/// A person of `tid` at the provider; the same `oid` again changes them (a UPN rename).
function person(tid, { upn, name, oid = randomUUID(), idp }) {
  return op("/_people", { tid, oid, upn, name, idp }).then(() => ({ tid, oid, upn, name }));
}

async function scimUser(userName, displayName, extra = {}) {
  const [givenName, familyName] = displayName.split(" ");
  const created = await scim("POST", `${tenantUrl}/Users`, token, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    displayName,
    name: { givenName, familyName },
    // What Entra sends by default: mailNickname, not the object id.
    externalId: userName.split("@")[0],
    active: true,
    ...extra,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

async function patchUser(id, op_, path, value) {
  const patched = await scim("PATCH", `${tenantUrl}/Users/${id}`, token, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    Operations: [{ op: op_, path, value }],
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
}

/// Opens the organization's sign-in link in a fresh browser (no session, at Roster or at the
/// provider), signs in at the provider's login page as `upn`, and returns the page Roster
/// ends on: /home, or the refusal page the callback renders.
async function signIn(upn, orgId = org.id) {
  const page = await newPage(browser);
  await page.goto(`${ROSTER_URL}/sso/${orgId}`);
  assert.ok(page.url().startsWith(`${OP_URL}/`), `not at the provider: ${page.url()}`);
  await page.getByLabel("Email, phone, or Skype").fill(upn);
  await page.getByRole("button", { name: "Next" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${ROSTER_URL}/`));
  return page;
}

async function assertHome(page, { name, account, role, groups }) {
  assert.equal(new URL(page.url()).pathname, "/home");
  await page.getByRole("heading", { level: 1, name: `Hello, ${name}` }).waitFor();
  const term = (t) => page.locator("dt", { hasText: t }).locator("xpath=following-sibling::dd[1]");
  assert.equal((await term("Organization").innerText()).trim(), org.name);
  assert.equal((await term("Account").innerText()).trim(), account);
  assert.equal((await term("Role").innerText()).trim(), role);
  assert.deepEqual(
    (await term("Groups").locator("li").allInnerTexts()).map((g) => g.trim()),
    groups,
  );
}

async function assertRefused(page, verdict, heading, text) {
  assert.equal(new URL(page.url()).pathname, "/sso/callback");
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  const alert = page.getByRole("alert");
  assert.equal(await alert.getAttribute("data-verdict"), verdict);
  assert.match(await alert.innerText(), text);
  // No session was started.
  const me = await page.request.get(`${ROSTER_URL}/api/v1/me`);
  assert.equal(me.status(), 401);
}

async function me(page) {
  const response = await page.request.get(`${ROSTER_URL}/api/v1/me`);
  assert.equal(response.status(), 200, await response.text());
  return response.json();
}

before(async () => {
  browser = await launch();
  org = roster(["org", "create", "--name", "Contoso Academy", "--kind", "school", "--seats", "20"]);
  ({ tenant_url: tenantUrl, token } = roster(["scim", "enable", org.id]));
  const redirectUri = `${ROSTER_URL}/sso/callback`;
  for (const tid of [CONTOSO, FABRIKAM]) {
    const { issuer } = await op("/_tenants", {
      tid,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: redirectUri,
    });
    assert.equal(issuer, `${OP_URL}/${tid}/v2.0`);
  }
  const view = roster(["sso", "configure", org.id, "--tenant-id", CONTOSO, "--client-id", CLIENT_ID], `${CLIENT_SECRET}\n`);
  assert.equal(view.issuer, `${OP_URL}/${CONTOSO}/v2.0`);
  assert.equal(view.redirect_uri, redirectUri);
  assert.equal(view.sign_in_url, `${ROSTER_URL}/sso/${org.id}`);
});

after(async () => {
  await browser?.close();
});

test("a person SCIM provisioned signs in with Microsoft; deactivation ends the session and refuses sign-in; reactivation and a UPN rename keep the account", async () => {
  const id = await scimUser("ada@contoso.test", "Ada Lovelace");
  const group = await scim("POST", `${tenantUrl}/Groups`, token, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    displayName: "Year 9 Mathematics",
    members: [{ value: id }],
  });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const ada = await person(CONTOSO, { upn: "ada@contoso.test", name: "Ada Lovelace" });

  const home = await signIn(ada.upn);
  await assertHome(home, {
    name: "Ada Lovelace",
    account: "ada@contoso.test",
    role: "student",
    groups: ["Year 9 Mathematics"],
  });
  await checkPage(home, "sso-home");
  const who = await me(home);
  assert.equal(who.id, id);
  assert.equal(who.user_name, "ada@contoso.test");
  assert.equal(who.display_name, "Ada Lovelace");
  assert.equal(who.role, "student");
  assert.deepEqual(who.organization, { id: org.id, name: org.name });
  assert.deepEqual(who.groups, [{ id: group.body.id, display_name: "Year 9 Mathematics" }]);

  // SCIM deactivates Ada: the session open in her browser ends at once.
  await patchUser(id, "replace", "active", false);
  const reloaded = await home.reload();
  assert.equal(reloaded.status(), 401);
  await home.getByRole("heading", { level: 1, name: "You are not signed in" }).waitFor();
  await checkPage(home, "sso-session-ended");
  assert.equal((await home.request.get(`${ROSTER_URL}/api/v1/me`)).status(), 401);

  const refused = await signIn(ada.upn);
  await assertRefused(refused, "deactivated", "Your account is deactivated", /deactivated your account/);
  await checkPage(refused, "sso-refused-deactivated");

  await patchUser(id, "replace", "active", true);
  const again = await signIn(ada.upn);
  await assertHome(again, {
    name: "Ada Lovelace",
    account: "ada@contoso.test",
    role: "student",
    groups: ["Year 9 Mathematics"],
  });

  // Her UPN changes in Entra; SCIM renames the account; the provider now says the new UPN for
  // the same oid, and the link stored at her first sign-in finds the same account.
  await patchUser(id, "replace", "userName", "ada.lovelace@contoso.test");
  await person(CONTOSO, { oid: ada.oid, upn: "ada.lovelace@contoso.test", name: "Ada Lovelace" });
  const renamed = await signIn("ada.lovelace@contoso.test");
  await assertHome(renamed, {
    name: "Ada Lovelace",
    account: "ada.lovelace@contoso.test",
    role: "student",
    groups: ["Year 9 Mathematics"],
  });
  assert.equal((await me(renamed)).id, id);

  const log = roster(["sso", "log", org.id, "--limit", "4"]);
  assert.deepEqual(
    log.map((e) => [e.verdict, e.oid, e.tid]).reverse(),
    [
      ["signed_in", ada.oid, CONTOSO],
      ["deactivated", ada.oid, CONTOSO],
      ["signed_in", ada.oid, CONTOSO],
      ["signed_in", ada.oid, CONTOSO],
    ],
  );
  assert.equal(log[0].preferred_username, "ada.lovelace@contoso.test");
  assert.equal(log[0].matched_by, "link");
});

test("an unprovisioned person, an independent account and people of another tenant are refused with a page that says why", async () => {
  const nobody = await person(CONTOSO, { upn: "nobody@contoso.test", name: "No Body" });
  const unprovisioned = await signIn(nobody.upn);
  await assertRefused(
    unprovisioned,
    "not_provisioned",
    "Your account has not been set up yet",
    /has not provisioned an account for you/,
  );
  await checkPage(unprovisioned, "sso-refused-not-provisioned");

  roster(["user", "add", "--user-name", "indie@contoso.test", "--display-name", "Indie Pendent"]);
  const indie = await person(CONTOSO, { upn: "indie@contoso.test", name: "Indie Pendent" });
  const independent = await signIn(indie.upn);
  await assertRefused(
    independent,
    "independent",
    "This account is not part of the organization",
    /personal account/,
  );
  await checkPage(independent, "sso-refused-independent");

  // Fabrikam's own organization provisioned Fabian. He is also a guest in Contoso's tenant, so
  // Contoso's provider signs him in (its tid, his guest oid, `idp` naming Fabrikam), but his
  // account is Fabrikam's: never matched here.
  const fabrikam = roster(["org", "create", "--name", "Fabrikam College", "--kind", "school", "--seats", "5"]);
  const fabrikamScim = roster(["scim", "enable", fabrikam.id]);
  const fabian = await scim("POST", `${fabrikamScim.tenant_url}/Users`, fabrikamScim.token, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: "fabian@fabrikam.test",
    active: true,
  });
  assert.equal(fabian.status, 201, JSON.stringify(fabian.body));
  await person(FABRIKAM, { upn: "fabian@fabrikam.test", name: "Fabian Guest" });
  const guest = await person(CONTOSO, {
    upn: "fabian@fabrikam.test",
    name: "Fabian Guest",
    idp: `https://sts.windows.net/${FABRIKAM}/`,
  });
  const otherOrg = await signIn(guest.upn);
  await assertRefused(
    otherOrg,
    "other_organization",
    "This account belongs to another organization",
    /another organization/,
  );
  await checkPage(otherOrg, "sso-refused-other-organization");

  // A member of Fabrikam's tenant only: Contoso's provider refuses him itself (AADSTS50020) and
  // sends him back to Roster with access_denied.
  await person(FABRIKAM, { upn: "frida@fabrikam.test", name: "Frida Outsider" });
  const foreign = await signIn("frida@fabrikam.test");
  await assertRefused(
    foreign,
    "provider_error",
    "Your organization's sign-in provider refused the sign-in",
    /account of this organization/,
  );
  await checkPage(foreign, "sso-refused-by-provider");

  const log = roster(["sso", "log", org.id, "--limit", "3"]);
  assert.deepEqual(
    log.map((e) => [e.verdict, e.preferred_username, e.tid]).reverse(),
    [
      ["not_provisioned", "nobody@contoso.test", CONTOSO],
      ["independent", "indie@contoso.test", CONTOSO],
      ["other_organization", "fabian@fabrikam.test", CONTOSO],
    ],
  );
  assert.equal(roster(["user", "show", "indie@contoso.test"]).org, null);
});

test("an administrator signs in with Microsoft and reaches the console", async () => {
  await scimUser("grace@contoso.test", "Grace Hopper");
  roster(["admin", "add", "--org", org.id, "--email", "grace@contoso.test"], "a long enough admin passphrase\n");
  const grace = await person(CONTOSO, { upn: "grace@contoso.test", name: "Grace Hopper" });
  const home = await signIn(grace.upn);
  await assertHome(home, { name: "Grace Hopper", account: "grace@contoso.test", role: "admin", groups: [] });
  await home.getByRole("link", { name: "Open the admin console" }).click();
  await home.waitForURL((url) => url.pathname.startsWith("/console") && !url.pathname.startsWith("/console/sign-in"));
  await home.getByRole("heading", { level: 1 }).first().waitFor();
  assert.doesNotMatch(new URL(home.url()).pathname, /sign-in/);
  await checkPage(home, "sso-admin-console");
});
