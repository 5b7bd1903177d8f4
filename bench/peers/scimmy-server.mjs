// A minimal in-memory SCIM server on SCIMMY and its Express routers, as a new user would write
// one from their READMEs: users and groups in Maps, filters answered by SCIMMY's own matcher.
// No authentication (roster-bench sends a bearer token, which is accepted as is). Used only by
// bench/peers/run.sh, which installs the locked packages into a scratch folder.
//
//   node scimmy-server.mjs PORT   ->  SCIM base URL http://127.0.0.1:PORT/scim

import { randomUUID } from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const port = Number(process.argv[2] ?? 0);

/** In-memory storage for one resource type, with SCIMMY's ingress/egress/degress handlers. */
function store() {
    const items = new Map();
    return {
        ingress(resource, data) {
            const id = resource.id ?? randomUUID();
            if (resource.id && !items.has(id)) throw new SCIMMY.Types.Error(404, null, `Resource ${id} not found`);
            const now = new Date();
            const created = items.get(id)?.meta?.created ?? now;
            const stored = { ...data, id, meta: { created, lastModified: now } };
            items.set(id, stored);
            return stored;
        },
        egress(resource) {
            if (resource.id) {
                const found = items.get(resource.id);
                if (!found) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
                return found;
            }
            const all = [...items.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        degress(resource) {
            if (!items.delete(resource.id)) throw new SCIMMY.Types.Error(404, null, `Resource ${resource.id} not found`);
        },
    };
}

for (const [type, extension] of [
    [SCIMMY.Resources.User, SCIMMY.Schemas.EnterpriseUser],
    [SCIMMY.Resources.Group, null],
]) {
    const handlers = store();
    const declared = SCIMMY.Resources.declare(extension ? type.extend(extension, false) : type);
    declared.ingress(handlers.ingress).egress(handlers.egress).degress(handlers.degress);
}

const app = express();
app.use("/scim", new SCIMMYRouters({
    type: "bearer",
    handler: () => "bench",
}));
const server = app.listen(port, "127.0.0.1", () => {
    console.log(`SCIMMY listening on http://127.0.0.1:${server.address().port}/scim`);
});
