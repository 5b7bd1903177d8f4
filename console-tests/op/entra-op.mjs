// A real OpenID Provider shaped like Microsoft Entra ID, for the sign-in browser tests:
// `oidc-provider` (OpenID Certified), one instance per tenant mounted at `/{tid}/v2.0`, so each
// tenant's issuer is `http://127.0.0.1:PORT/{tid}/v2.0` and its discovery document is at
// `<issuer>/.well-known/openid-configuration`, exactly where Roster's Microsoft preset looks
// once `ROSTER_MICROSOFT_AUTHORITY_URL` points here. ID tokens carry what Entra v2 tokens carry
// for sign-in: `tid`, `oid`, `preferred_username` (the UPN), `name`, `ver: "2.0"` and, for a
// guest, `idp`.
//
// Test-only control endpoints (127.0.0.1 only, like everything here):
//   POST /_tenants {tid, client_id, client_secret, redirect_uri}  a tenant with its app registration
//   POST /_people  {tid, oid, upn, name, idp?}                     a person of a tenant (same oid:
//                                                                  updated, e.g. a UPN rename)
// The login page asks for a UPN (no password: the tests are about Roster, not the OP's login);
// consent is granted at once, as for an app an administrator consented to for the tenant.
// Prints `listening http://127.0.0.1:PORT` on stdout when ready.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const tenants = new Map(); // tid -> { provider, callback, people: Map(oid -> person) }

function personBySub(tenant, sub) {
  for (const person of tenant.people.values()) {
    if (person.sub === sub) {
      return person;
    }
  }
  return undefined;
}

function personByUpn(tenant, upn) {
  const wanted = upn.trim().toLowerCase();
  for (const person of tenant.people.values()) {
    if (person.upn.toLowerCase() === wanted) {
      return person;
    }
  }
  return undefined;
}

/// Entra's `sub` is pairwise: stable for one person and one app, and not the `oid`.
function pairwiseSub(tid, oid) {
  return createHash("sha256").update(`${tid}/${oid}`).digest("base64url").slice(0, 43);
}

function signingKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: randomBytes(8).toString("hex"), alg: "RS256", use: "sig" };
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(res, { action, tid, error }) {
  res.writeHead(error ? 400 : 200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in to your account</title></head>
<body><main>
<h1>Sign in</h1>
<p>Tenant ${escapeHtml(tid)}</p>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<form method="post" action="${escapeHtml(action)}">
<label for="upn">Email, phone, or Skype</label>
<input id="upn" name="upn" type="email" autocomplete="username" required>
<button type="submit">Next</button>
</form>
</main></body></html>`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      body += chunk;
      if (body.length > 65536) {
        reject(new Error("body too large"));
        req.destroy();
      }
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

function addTenant(base, { tid, client_id, client_secret, redirect_uri }) {
  const mount = `/${tid}/v2.0`;
  const people = new Map();
  const cookieSuffix = tid.replace(/[^A-Za-z0-9]/g, "").slice(0, 12);
  const provider = new Provider(`${base}${mount}`, {
    clients: [
      {
        client_id,
        client_secret,
        redirect_uris: [redirect_uri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [signingKey()] },
    cookies: {
      keys: [randomBytes(32).toString("hex")],
      names: {
        session: `_session_${cookieSuffix}`,
        interaction: `_interaction_${cookieSuffix}`,
        resume: `_interaction_resume_${cookieSuffix}`,
      },
    },
    // Entra puts these in the ID token itself; without this only `sub` would land there when
    // an access token is issued too.
    conformIdTokenClaims: false,
    claims: {
      openid: ["sub", "tid", "ver", "idp"],
      profile: ["oid", "name", "preferred_username"],
      email: ["email"],
    },
    scopes: ["openid", "profile", "email"],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const person = personBySub(tenant, sub);
      if (!person) {
        return undefined;
      }
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            tid,
            ver: "2.0",
            oid: person.oid,
            name: person.name,
            preferred_username: person.upn,
            ...(person.idp ? { idp: person.idp } : {}),
          };
        },
      };
    },
    // An administrator consented for the whole tenant: nobody is asked.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid profile email");
      await grant.save();
      return grant;
    },
  });
  for (const event of ["server_error", "authorization.error", "grant.error", "userinfo.error"]) {
    provider.on(event, (_ctx, error) => {
      console.error(`[${tid}] ${event}: ${error.name} ${error.message} ${error.error_description ?? ""}`);
    });
  }
  const tenant = { tid, mount, provider, callback: provider.callback(), people };
  tenants.set(tid, tenant);
}

/// The login interaction: a UPN of this tenant signs in; one of another tenant is refused the
/// way Entra refuses it (AADSTS50020), back to the application with `access_denied`.
async function interaction(tenant, req, res, rest) {
  const { provider, mount, tid } = tenant;
  const details = await provider.interactionDetails(req, res);
  const action = `${mount}/interaction/${details.uid}`;
  if (req.method === "GET" && rest === `/interaction/${details.uid}`) {
    loginPage(res, { action, tid });
    return;
  }
  if (req.method !== "POST" || rest !== `/interaction/${details.uid}`) {
    json(res, 404, { error: "not_found" });
    return;
  }
  const upn = new URLSearchParams(await readBody(req)).get("upn") ?? "";
  const person = personByUpn(tenant, upn);
  if (person) {
    await provider.interactionFinished(req, res, { login: { accountId: person.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  const home = [...tenants.values()].find((t) => personByUpn(t, upn));
  if (home) {
    await provider.interactionFinished(
      req,
      res,
      {
        error: "access_denied",
        error_description: `AADSTS50020: User account '${upn}' from identity provider '${home.provider.issuer}' does not exist in tenant '${tid}' and cannot access the application.`,
      },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  loginPage(res, { action, tid, error: "We couldn't find an account with that username." });
}

async function control(base, req, res) {
  const body = JSON.parse(await readBody(req));
  if (req.url === "/_tenants") {
    if (!tenants.has(body.tid)) {
      addTenant(base, body);
    }
    json(res, 200, { issuer: `${base}/${body.tid}/v2.0` });
    return;
  }
  const tenant = tenants.get(body.tid);
  if (!tenant) {
    json(res, 404, { error: `no tenant ${body.tid}` });
    return;
  }
  const person = { oid: body.oid, upn: body.upn, name: body.name, idp: body.idp, sub: pairwiseSub(body.tid, body.oid) };
  tenant.people.set(body.oid, person);
  json(res, 200, person);
}

const server = http.createServer(async (req, res) => {
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    if (req.method === "POST" && (req.url === "/_tenants" || req.url === "/_people")) {
      await control(base, req, res);
      return;
    }
    const match = /^\/([^/]+)\/v2\.0(\/.*)?$/.exec(req.url.split("?")[0]);
    const tenant = match && tenants.get(match[1]);
    if (!tenant) {
      json(res, 404, { error: "no such tenant" });
      return;
    }
    const rest = match[2] ?? "/";
    if (rest.startsWith("/interaction/")) {
      await interaction(tenant, req, res, rest);
      return;
    }
    // oidc-provider works out its mount path from `originalUrl`, as under Express.
    req.originalUrl = req.url;
    req.url = req.url.slice(tenant.mount.length) || "/";
    tenant.callback(req, res);
  } catch (error) {
    console.error(`${req.method} ${req.url}: ${error.stack ?? error}`);
    if (!res.headersSent) {
      json(res, 500, { error: String(error.message ?? error) });
    } else {
      res.end();
    }
  }
});

server.listen(0, "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => process.exit(0));
}
