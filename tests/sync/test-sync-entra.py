#!/usr/bin/python3
"""Microsoft Entra ID as the source, end to end: the Graph emulator and the
Asset Panda emulator on 127.0.0.1, driven through pandasync-cli.

Initial sync, a rerun with zero writes, leavers (disabled, removed from the
group, deleted), returners, nested groups and non-user members, the guards
(a read that fails never deactivates), errors that name what to fix (wrong
secret, a missing permission, an ambiguous group name), and a collection
first synced from on-premises AD (objectSid) carrying on from Entra ID with
onPremisesSecurityIdentifier: zero creates, zero duplicates.

Prints TAP. Needs PANDASYNC_CLI, PANDASYNC_EMULATOR, PANDASYNC_GRAPH_EMULATOR,
PANDASYNC_SOURCE_ROOT.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synctest  # noqa: E402
from synctest import (ACTIVE, CLI, DEMO_SEED, EMPLOYEES, INACTIVE, PRO_ACCOUNT, PRO_EMPLOYEES,  # noqa: E402
                      PRO_MODULE, SRC, Env as BaseEnv, Server, asset_panda_section, ok)

GRAPH = os.environ["PANDASYNC_GRAPH_EMULATOR"]
GRAPH_SEED = os.path.join(SRC, "tests", "emulator", "graph", "seed-small.json")
TENANT = "contoso.onmicrosoft.com"
APP = "11111111-1111-4111-8111-111111111111"
APP_MEMBERS_ONLY = "22222222-2222-4222-8222-222222222222"
SECRET = "ps-graph-secret~1"
STAFF = "b0000001-0000-4000-8000-000000000001"


class Graph(Server):
    def __init__(self, workdir, *extra):
        super().__init__(GRAPH, workdir, "graph.log", "Graph emulator", ["--seed", GRAPH_SEED] + list(extra))

    def state(self):
        return self.call("GET", "/_admin/state")

    def tenant(self):
        return self.state()["tenants"][0]


class Env(BaseEnv):
    def __init__(self, seed=None, graph_args=(), emu_args=()):
        super().__init__("pandasync-entra-")
        self.timeout = 300
        self.graph = self.serve(Graph(self.tmp, *graph_args))
        self.emu = self.start_emulator(*emu_args, seed=seed)

    def profile(self, name, mappings, secret=SECRET, app=APP, dialect="classic"):
        creds = self.credentials(name + ".credentials",
                                 dict(synctest.asset_panda_secrets(dialect), EntraClientSecret=secret))
        return self.write_profile_file(os.path.join(self.tmp, name + ".conf"), name, creds, """{target}
[EntraID]
Tenant={tenant}
ClientId={app}
LoginURL={graph}
GraphURL={graph}

{mappings}""".format(target=asset_panda_section(self.emu.url, dialect), tenant=TENANT, app=app,
                     graph=self.graph.url, mappings=mappings))


MAPPINGS = """[UserMapping Staff]
Account=21040
Role=30135
Group={staff}
GroupName=Staff
Email=mail|userPrincipalName
FirstName=givenName
LastName=surname

[CollectionMapping Employees]
Account=21040
Collection=82677
Group={staff}
GroupName=Staff
UniqueIdentifier={unique}
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=surname;overwrite
Field.Email=mail|userPrincipalName;never-blank
Field.Department=department;fill-empty
Field.Title=jobTitle;overwrite
"""


def expected_people(env, group_id):
    """The enabled users in the group's nesting tree, from the emulator's own state."""
    t = env.graph.tenant()
    groups = {g["id"]: g for g in t["groups"]}
    # soft-deleted users (deletedDateTime) are in deletedItems, not in groups
    users = {u["id"]: u for u in t["users"] if not u.get("deletedDateTime")}
    seen, todo, found = set(), [group_id], set()
    while todo:
        g = todo.pop()
        if g in seen or g not in groups:
            continue
        seen.add(g)
        for m in groups[g].get("members", []):
            if m in groups:
                todo.append(m)
            elif m in users:
                found.add(m)
    return {u: users[u] for u in found}


def test_sync_from_entra():
    print("# Entra ID: initial sync, no-op, leavers and returners", flush=True)
    env = Env()
    try:
        profile = env.profile("entra", MAPPINGS.format(staff=STAFF, unique="id"))
        c = env.cli(profile, "test-connection", "--only", "directory")
        ok(c.returncode == 0 and "Sign in" in c.stdout and "User.Read.All" in c.stdout,
           "test-connection signs in to Microsoft Entra ID and lists its steps", c.stdout + c.stderr)

        people = expected_people(env, STAFF)
        enabled = {k: v for k, v in people.items() if v.get("accountEnabled", True)}
        r = env.sync(profile)
        ok(r["_rc"] == 0 and r.get("status") == "succeeded", "the first sync from Entra ID succeeds",
           r.get("_stderr", "")[-2000:])
        recs = env.emu.records()
        mine = {k: v for k, v in recs.items() if k in people}
        ok(set(mine) == set(enabled) and all(len(v) == 1 and v[0]["status"] == ACTIVE for v in mine.values()),
           "one Active record per enabled user of the group and its nested groups (%d)" % len(enabled),
           (sorted(mine), sorted(enabled), r.get("_stderr", "")[-3000:]))
        some = sorted(enabled)[0]
        u = enabled[some]
        d = mine[some][0]["data"]
        ok(d.get("field_1") == u.get("givenName") and d.get("field_2") == u.get("surname")
           and d.get("field_3") == (u.get("mail") or u.get("userPrincipalName")),
           "its fields are Graph's values", (d, u))
        nomail = [k for k, v in enabled.items() if not v.get("mail")]
        if nomail:
            d = mine[nomail[0]][0]["data"]
            ok(d.get("field_3") == enabled[nomail[0]]["userPrincipalName"],
               "a user without mail gets the userPrincipalName (mail|userPrincipalName)", d)
        emails = {(v.get("mail") or v["userPrincipalName"]).lower() for v in enabled.values()}
        login = [x for x in env.emu.get("/_admin/state")["classic"]["users"]
                 if x.get("email", "").lower() in emails]
        ok(counts_ok(r, "Staff", created=len(enabled)) and len(login) == len(enabled),
           "and one login user each", (synctest.counts(r, "Staff"), len(login)))
        ok("skipped" in r.get("_stderr", "") and "devices" in r.get("_stderr", ""),
           "devices, contacts and service principals in the group are counted and skipped",
           r.get("_stderr", "")[-1500:])

        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] == 0 and not env.emu.writes_since(seq), "a second run writes nothing",
           env.emu.writes_since(seq)[:5])

        # Leavers: one disabled, one removed from a nested group, one deleted.
        ids = sorted(enabled)
        disabled, deleted = ids[0], ids[1]
        nested = [g for g in env.graph.tenant()["groups"] if g["id"] != STAFF and ids[2] in g.get("members", [])]
        removed = ids[2]
        env.graph.call("POST", "/_admin/users/%s/disable" % disabled, {})
        env.graph.call("DELETE", "/_admin/users/%s" % deleted)
        for g in nested:
            env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (g["id"], removed))
        r = env.sync(profile)
        recs = env.emu.records()
        ok(r["_rc"] == 0 and all(recs[x][0]["status"] == INACTIVE for x in (disabled, deleted, removed))
           and synctest.counts(r, "Employees")[2] == 3,
           "disabled, deleted and removed users become Inactive", (synctest.counts(r, "Employees"),
                                                                   r.get("_stderr", "")[-1500:]))
        users = {x.get("email", "").lower(): x for x in env.emu.get("/_admin/state")["classic"]["users"]}
        ok(all(not users[(enabled[x].get("mail") or enabled[x]["userPrincipalName"]).lower()]["is_active"]
               for x in (disabled, deleted, removed)),
           "and their login users are deactivated")

        # They come back: the same records, Active again.
        env.graph.call("POST", "/_admin/users/%s/enable" % disabled, {})
        for g in nested:
            env.graph.call("POST", "/_admin/groups/%s/members" % g["id"], {"id": removed})
        r = env.sync(profile)
        recs = env.emu.records()
        ok(all(len(recs[x]) == 1 and recs[x][0]["status"] == ACTIVE for x in (disabled, removed))
           and synctest.counts(r, "Employees")[0] == 0,
           "returners are Active again on the same record", synctest.counts(r, "Employees"))

        # A Graph outage never deactivates anyone.
        env.graph.call("POST", "/_admin/faults",
                       {"rules": [{"fault": "error", "match": "*", "rate": 1.0, "status": 503,
                                   "retry_after": 0}]})
        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] != 0 and not env.emu.writes_since(seq),
           "when Graph keeps failing, the mappings fail and nothing is written",
           (r.get("_stderr", "")[-800:], env.emu.writes_since(seq)[:3]))
        env.graph.call("POST", "/_admin/faults", {"rules": []})
    finally:
        env.close()


def counts_ok(r, name, created):
    return synctest.counts(r, name)[0] == created


def test_errors_name_the_fix():
    print("# Entra ID: errors that say what to fix", flush=True)
    env = Env()
    try:
        wrong = env.profile("wrong", MAPPINGS.format(staff=STAFF, unique="id"), secret="not-the-secret")
        r = env.sync(wrong)
        msg = r.get("_stderr", "")
        ok(r["_rc"] != 0 and ("secret" in msg.lower()) and "not-the-secret" not in msg,
           "a wrong client secret is named, and never printed", msg[-800:])
        limited = env.profile("limited", MAPPINGS.format(staff=STAFF, unique="id"), app=APP_MEMBERS_ONLY,
                              secret="ps-graph-secret~2")
        r = env.sync(limited)
        msg = r.get("_stderr", "") + json.dumps(r)
        ok(r["_rc"] != 0 and "User.Read.All" in msg, "a missing permission is named", msg[-800:])
        ambiguous = env.profile("ambiguous", MAPPINGS.format(staff="Staff", unique="id"))
        r = env.sync(ambiguous)
        msg = r.get("_stderr", "")
        ok(r["_rc"] != 0 and "named “Staff”" in msg, "a group name two groups share is not guessed", msg[-800:])
        scoped = env.profile("scoped", MAPPINGS.format(staff=STAFF, unique="id") + "Filter=(department=Sales)\n")
        r = env.sync(scoped)
        msg = r.get("_stderr", "")
        ok(r["_rc"] != 0 and "scoped by their group" in msg, "an LDAP filter on an Entra ID mapping is refused",
           msg[-800:])
        c = env.cli(env.profile("groups", ""), "directory", "groups", "--search", "Plat")
        ok(c.returncode == 0 and "Platform" in c.stdout, "directory groups searches Entra ID's groups",
           c.stdout + c.stderr)
        c = env.cli(env.profile("members", ""), "directory", "members", "--group", STAFF, "--json",
                    "--attr", "mail|userPrincipalName", "--attr", "department")
        rows = [json.loads(l) for l in c.stdout.splitlines() if l.strip()]
        want = expected_people(env, STAFF)
        ok(c.returncode == 0 and {r["id"] for r in rows} == set(want)
           and all("department" in r and "enabled" in r for r in rows),
           "directory members lists the group's users as a sync reads them, nested groups included",
           (c.stdout[-600:], c.stderr[-600:]))
        c = env.cli(env.profile("user", ""), "directory", "user", "adele.vance")
        ok(c.returncode != 0 and "directory members" in c.stderr,
           "directory user says it is for LDAP and what to use instead", c.stderr)
    finally:
        env.close()


def test_migration_from_active_directory():
    print("# A collection synced from on-premises AD carries on from Entra ID", flush=True)
    with open(GRAPH_SEED) as f:
        graph_seed = json.load(f)
    users = {u["id"]: u for u in graph_seed["tenants"][0]["users"]}
    with open(DEMO_SEED) as f:
        seed = json.load(f)
    g = [g for g in seed["classic"]["groups"] if g["id"] == EMPLOYEES][0]
    env0 = Env()
    synced_from_ad = {k: v for k, v in expected_people(env0, STAFF).items()
                      if v.get("accountEnabled", True) and v.get("onPremisesSecurityIdentifier")}
    env0.close()
    for n, (uid, u) in enumerate(sorted(synced_from_ad.items())):
        g["objects"].append({"id": "adsync%018d" % n, "integ_ad_sid": u["onPremisesSecurityIdentifier"],
                             "is_archived": False,
                             "data": {"field_1": u.get("givenName", ""), "field_2": u.get("surname", ""),
                                      "field_8": ACTIVE}})
    env = Env(seed)
    try:
        profile = env.profile("migrated", MAPPINGS.format(staff=STAFF, unique="onPremisesSecurityIdentifier"))
        r = env.sync(profile)
        recs = env.emu.records()
        dup = [k for k, v in recs.items() if k and len(v) > 1]
        carried = [users[u]["onPremisesSecurityIdentifier"] for u in synced_from_ad]
        ok(r["_rc"] == 0 and not dup and all(len(recs.get(s, [])) == 1 for s in carried),
           "the %d records synced from AD are found by onPremisesSecurityIdentifier: no duplicate"
           % len(carried), (dup, synctest.counts(r, "Employees"), r.get("_stderr", "")[-1200:]))
        ok(all(recs[s][0]["id"] == "adsync%018d" % n for n, s in enumerate(
            users[u]["onPremisesSecurityIdentifier"] for u in sorted(synced_from_ad))),
           "and keep their record ids")
        cloud_only = [u for u, v in expected_people(env, STAFF).items()
                      if v.get("accountEnabled", True) and not v.get("onPremisesSecurityIdentifier")]
        ok(synctest.counts(r, "Employees")[0] == 0,
           "no record is created for users synced from AD (cloud-only users without a SID: %d, left out "
           "and logged)" % len(cloud_only), synctest.counts(r, "Employees"))
    finally:
        env.close()


# ------------------------------------------------------------------ delta runs

ENGINEERING = "b0000002-0000-4000-8000-000000000002"
PLATFORM = "b0000003-0000-4000-8000-000000000003"
ON_CALL = "b0000004-0000-4000-8000-000000000004"
SALES = "b0000005-0000-4000-8000-000000000005"
LYNNE = "a0000009-0000-4000-8000-000000000009"
GRADY = "a000000c-0000-4000-8000-00000000000c"
ADELE, MEGAN, ISAIAH, NESTOR, JONI = ("a0000001-0000-4000-8000-000000000001",
                                      "a0000003-0000-4000-8000-000000000003",
                                      "a0000007-0000-4000-8000-000000000007",
                                      "a000000a-0000-4000-8000-00000000000a",
                                      "a000000d-0000-4000-8000-00000000000d")
PRO_COL = PRO_EMPLOYEES + "_%s"
PRO_ACTIVE, PRO_INACTIVE = "01HWQ2Q50KP45XRDKREZS647QV", "01HWQTW4CKYV7AQAB9MZNG0A0K"

DELTA_MAPPING = """[CollectionMapping Employees]
Account=21040
Collection=82677
Group={staff}
GroupName=Staff
UniqueIdentifier=id
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=surname;overwrite
Field.Email=mail|userPrincipalName;never-blank
Field.Department=department;overwrite
"""

PRO_DELTA_MAPPING = """[CollectionMapping Employees]
Account={account}
Module={module}
Collection={collection}
Group={staff}
GroupName=Staff
UniqueIdentifier=id
UniqueField=Employee ID
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=surname;overwrite
Field.Department=department;overwrite
"""


class Delta:
    """One dialect's view of the Employees collection, and what a run asked of Graph."""

    def __init__(self, env, dialect):
        self.env, self.dialect = env, dialect

    def records(self):
        """object id → [{"status": "Active"/"Inactive", "department": …}]"""
        out = {}
        if self.dialect == "classic":
            for sid, recs in self.env.emu.records().items():
                for rec in recs:
                    out.setdefault(sid, []).append(
                        {"status": {ACTIVE: "Active", INACTIVE: "Inactive"}.get(rec["status"]),
                         "department": rec["data"].get("field_4")})
            return out
        st = self.env.emu.get("/_admin/state")["pro"]
        col = [c for a in st["accounts"] if a["id"] == PRO_ACCOUNT for m in a["modules"]
               for c in m["collections"] if c["id"] == PRO_EMPLOYEES][0]
        for rec in col.get("records", []):
            out.setdefault(rec.get(PRO_COL % "6_employeeid_text"), []).append(
                {"status": {PRO_ACTIVE: "Active", PRO_INACTIVE: "Inactive"}.get(
                    rec.get(PRO_COL % "7_integrationstatusad_singleselect")),
                 "department": rec.get(PRO_COL % "3_department_text")})
        return out

    def wrong(self):
        """What differs from the Graph emulator's own state: every enabled user of
        the tree has one Active record with their department; everyone else's
        records are Inactive."""
        want = {k: v for k, v in expected_people(self.env, STAFF).items() if v.get("accountEnabled", True)}
        ours = {u["id"] for u in self.env.graph.tenant()["users"]}   # the seed's other records are not
        recs = {k: v for k, v in self.records().items() if k in ours}
        bad = []
        for uid, u in want.items():
            r = recs.get(uid, [])
            if len(r) != 1 or r[0]["status"] != "Active" or (r[0]["department"] or None) != u.get("department"):
                bad.append((u.get("displayName"), r))
        for uid, r in recs.items():
            if uid not in want and any(x["status"] == "Active" for x in r):
                bad.append(("not in scope", uid, r))
        return bad


def graph_seq(env):
    calls = env.graph.calls()
    return calls[-1]["seq"] if calls else 0


def graph_routes(env, seq):
    """The Graph calls since @seq, by route (the token request included)."""
    return [c.get("route") or c["path"] for c in env.graph.calls() if c["seq"] > seq]


def only_delta(routes):
    return all("delta" in r or "token" in r for r in routes)


def delta_run(env, profile, *args):
    gseq, aseq = graph_seq(env), env.emu.last_seq()
    r = env.sync(profile, *args)
    return r, graph_routes(env, gseq), env.emu.writes_since(aseq)


def test_delta(dialect):
    print("# Entra ID: delta runs (users/delta and groups/delta), %s" % dialect, flush=True)
    env = Env()
    try:
        mapping = (DELTA_MAPPING.format(staff=STAFF) if dialect == "classic" else
                   PRO_DELTA_MAPPING.format(staff=STAFF, account=PRO_ACCOUNT, module=PRO_MODULE,
                                            collection=PRO_EMPLOYEES))
        profile = env.profile("delta-" + dialect, mapping, dialect=dialect)
        d = Delta(env, dialect)
        r = env.sync(profile)
        ok(r["_rc"] == 0 and not d.wrong(), "the first run reads the group in full and ends right",
           (d.wrong(), r.get("_stderr", "")[-1500:]))

        r, routes, writes = delta_run(env, profile)
        err = r.get("_stderr", "")
        ok(r["_rc"] == 0 and "Changed since the last run" in err and len(routes) <= 3 and only_delta(routes)
           and not writes,
           "a no-op run is a delta: %d Graph calls (at most 3) and no Asset Panda write" % len(routes),
           (routes, writes[:3], err[-1500:]))

        # One change of each kind, each in a delta run of its own that reads only what changed.
        steps = [
            ("a changed department", lambda: env.graph.call("PATCH", "/_admin/users/%s" % ADELE,
                                                            {"department": "Research"})),
            ("a disabled user", lambda: env.graph.call("POST", "/_admin/users/%s/disable" % MEGAN, {})),
            ("a deleted user", lambda: env.graph.call("DELETE", "/_admin/users/%s" % NESTOR)),
            ("a user removed from a nested group",
             lambda: env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (PLATFORM, ISAIAH))),
            ("a user removed from one nested group but still in another",
             lambda: env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (PLATFORM, JONI))),
        ]
        for what, change in steps:
            change()
            r, routes, writes = delta_run(env, profile)
            ok(r["_rc"] == 0 and only_delta(routes) and not d.wrong(),
               "%s: one delta run, only delta calls (%d), and the collection is right" % (what, len(routes)),
               (routes, d.wrong(), r.get("_stderr", "")[-1500:]))
        recs = d.records()
        ok(recs[ADELE][0]["department"] == "Research" and recs[MEGAN][0]["status"] == "Inactive"
           and recs[NESTOR][0]["status"] == "Inactive" and recs[ISAIAH][0]["status"] == "Inactive"
           and recs[JONI][0]["status"] == "Active",
           "the department changed, the disabled, deleted and removed users are Inactive, Joni is not",
           {k: recs.get(k) for k in (ADELE, MEGAN, NESTOR, ISAIAH, JONI)})

        # Users added to a nested group: an existing one is read by id, a new one
        # comes with users/delta.
        env.graph.call("POST", "/_admin/groups/%s/members" % ON_CALL, {"id": LYNNE})
        r, routes, writes = delta_run(env, profile)
        reads = [x for x in routes if "/users/{id}" in x]
        ok(r["_rc"] == 0 and not d.wrong() and d.records().get(LYNNE, [{}])[0].get("status") == "Active"
           and len(reads) == 1 and only_delta([x for x in routes if x not in reads]),
           "an existing user added to a nested group is read by id (%d read) and created" % len(reads),
           (routes, d.wrong(), r.get("_stderr", "")[-1500:]))
        dana = env.graph.call("POST", "/_admin/users", {
            "userPrincipalName": "dana@contoso.com", "mail": "dana@contoso.com", "givenName": "Dana",
            "surname": "Delta", "displayName": "Dana Delta", "department": "Operations",
            "memberOf": [ON_CALL]})["id"]
        r, routes, writes = delta_run(env, profile)
        ok(r["_rc"] == 0 and not d.wrong() and d.records().get(dana, [{}])[0].get("status") == "Active"
           and only_delta(routes),
           "a new user added to a nested group comes with users/delta (%d calls) and is created" % len(routes),
           (routes, d.wrong(), r.get("_stderr", "")[-1500:]))

        # A new group, with two members, nested into Sales: read in full, then followed.
        new = [env.graph.call("POST", "/_admin/users", {
            "userPrincipalName": "%s@contoso.com" % n.lower(), "mail": "%s@contoso.com" % n.lower(),
            "givenName": n, "surname": "Team", "displayName": n + " Team", "department": "Delta"})["id"]
            for n in ("Kim", "Lou")]
        team = env.graph.call("POST", "/_admin/groups", {"displayName": "Delta Team", "mailNickname": "delta",
                                                         "members": new, "memberOf": [SALES]})["id"]
        r, routes, writes = delta_run(env, profile)
        ok(r["_rc"] == 0 and not d.wrong() and all(d.records().get(u, [{}])[0].get("status") == "Active"
                                                   for u in new)
           and any("/members" in x for x in routes) and not any("/users/{id}" in x for x in routes)
           and "transitiveMembers" not in " ".join(routes),
           "a group nested into the tree is read in full and its members are created", (routes, d.wrong()))
        env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (team, new[0]))
        r, routes, writes = delta_run(env, profile)
        ok(r["_rc"] == 0 and not d.wrong() and d.records()[new[0]][0]["status"] == "Inactive"
           and only_delta(routes),
           "and its membership is followed from then on (%d calls)" % len(routes), (routes, d.wrong()))

        # A soft-deleted user restored, and a nested group taken out of the tree.
        env.graph.call("POST", "/_admin/users/%s/restore" % NESTOR, {})
        r, routes, writes = delta_run(env, profile)
        ok(r["_rc"] == 0 and not d.wrong() and d.records()[NESTOR][0]["status"] == "Active" and only_delta(routes),
           "a restored user is Active again after one delta run (%d calls)" % len(routes), (routes, d.wrong()))
        env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (PLATFORM, ON_CALL))
        r, routes, writes = delta_run(env, profile)
        recs = d.records()
        ok(r["_rc"] == 0 and not d.wrong() and all(recs[u][0]["status"] == "Inactive" for u in (dana, GRADY, LYNNE))
           and recs[JONI][0]["status"] == "Active" and only_delta(routes),
           "a nested group taken out of the tree takes its own members out, not Joni (%d calls)" % len(routes),
           (routes, d.wrong(), r.get("_stderr", "")[-1500:]))

        # An expired delta token: the run reads everything and still ends right.
        env.graph.call("POST", "/_admin/invalidate-delta", {})
        env.graph.call("PATCH", "/_admin/users/%s" % JONI, {"department": "Platform"})
        r, routes, writes = delta_run(env, profile)
        err = r.get("_stderr", "")
        ok(r["_rc"] == 0 and any("transitiveMembers" in x for x in routes) and not d.wrong()
           and "7 days" in err,
           "an expired delta token makes the run read the whole group, logged, and it ends right",
           (routes, d.wrong(), err[-1500:]))
        r, routes, writes = delta_run(env, profile)
        ok(r["_rc"] == 0 and len(routes) <= 3 and only_delta(routes) and not writes,
           "and the run after it is a delta again", (routes, writes[:3]))

        # --full reads everything, and writes nothing when nothing changed.
        r, routes, writes = delta_run(env, profile, "--full")
        ok(r["_rc"] == 0 and any("transitiveMembers" in x for x in routes) and not writes and not d.wrong(),
           "--full reads the whole group and writes nothing", (routes, writes[:3]))
    finally:
        env.close()


def test_delta_sid_anchor():
    print("# Entra ID: delta runs with onPremisesSecurityIdentifier as the unique identifier", flush=True)
    env = Env()
    try:
        mapping = DELTA_MAPPING.format(staff=STAFF).replace("UniqueIdentifier=id",
                                                            "UniqueIdentifier=onPremisesSecurityIdentifier")
        profile = env.profile("delta-sid", mapping)
        users = {u["id"]: u for u in env.graph.tenant()["users"]}
        sid = {k: v.get("onPremisesSecurityIdentifier") for k, v in users.items()}

        def by_sid():
            return {k: [x["status"] for x in v] for k, v in env.emu.records().items()}

        def right():
            want = {sid[k] for k, v in expected_people(env, STAFF).items()
                    if v.get("accountEnabled", True) and sid[k]}
            recs = by_sid()
            mine = {s for s in sid.values() if s}
            return (all(recs.get(s) == [ACTIVE] for s in want)
                    and all(INACTIVE in v or not v for s, v in recs.items() if s in mine and s not in want))

        r = env.sync(profile)
        ok(r["_rc"] == 0 and right(), "the first run creates one record per user with a SID",
           (by_sid(), r.get("_stderr", "")[-1200:]))
        r, routes, writes = delta_run(env, profile)
        ok(r["_rc"] == 0 and len(routes) <= 3 and only_delta(routes) and not writes
           and "Changed since the last run" in r.get("_stderr", ""),
           "a no-op run is a delta of %d calls that writes nothing; cloud-only users stay left out"
           % len(routes), (routes, writes[:3], r.get("_stderr", "")[-1200:]))
        env.graph.call("POST", "/_admin/users/%s/disable" % ISAIAH, {})
        env.graph.call("POST", "/_admin/groups/%s/members" % ON_CALL, {"id": LYNNE})
        r, routes, writes = delta_run(env, profile)
        recs = by_sid()
        ok(r["_rc"] == 0 and right() and recs[sid[ISAIAH]] == [INACTIVE] and recs.get(sid[LYNNE]) == [ACTIVE]
           and "transitiveMembers" not in " ".join(routes),
           "a disabled user and a user added to a nested group are found by their SID in one delta run",
           (routes, recs, r.get("_stderr", "")[-1500:]))
        for mode in ("410-location", "410-resync"):
            env.graph.call("POST", "/_admin/faults", {"delta_expiry": mode, "invalidate_delta": True})
            env.graph.call("POST", "/_admin/users/%s/enable" % ISAIAH if mode == "410-location"
                           else "/_admin/users/%s/disable" % ISAIAH, {})
            r, routes, writes = delta_run(env, profile)
            ok(r["_rc"] == 0 and right() and any("transitiveMembers" in x for x in routes)
               and "410" in r.get("_stderr", ""),
               "an expired delta link answered with %s falls back to a full read that ends right" % mode,
               (routes, by_sid(), r.get("_stderr", "")[-1500:]))
    finally:
        env.close()



def test_guards_and_kill():
    """The safety net and crash safety hold for Entra ID as they do for AD."""
    print("# Entra ID: threshold, shrunken read, kill -9 convergence", flush=True)
    import random
    import signal
    import time
    env = Env(graph_args=("--generate", "1200", "--generate-group", "Generated Staff"),
              emu_args=("--latency-ms", "3"))
    try:
        groups = [g for g in env.graph.tenant()["groups"] if g["displayName"] == "Generated Staff"]
        gid = groups[0]["id"]
        profile = env.profile("guards", MAPPINGS.format(staff=gid, unique="id"))
        people = expected_people(env, gid)
        enabled = {k: v for k, v in people.items() if v.get("accountEnabled", True)}

        # kill -9 at random points of the first sync, then one clean run
        rng = random.Random(4242)
        kills = 0
        for _ in range(8):
            proc = subprocess.Popen([CLI, "sync", "--profile-file", profile], env=env.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.1, 1.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        r = env.sync(profile)
        recs = env.emu.records()
        mine = {k: v for k, v in recs.items() if k in people}
        dups = [k for k, v in mine.items() if len(v) > 1]
        emails = {(v.get("mail") or v["userPrincipalName"]).lower() for v in enabled.values()}
        users = [u for u in env.emu.get("/_admin/state")["classic"]["users"] if u.get("email", "").lower() in emails]
        ok(kills >= 5, "the sync was killed with SIGKILL at %d random points" % kills)
        ok(r["_rc"] == 0 and set(mine) == set(enabled) and not dups,
           "after the kills, one run ends with exactly one record per enabled user (%d), no duplicates"
           % len(enabled), (len(mine), len(enabled), dups[:3], r.get("_stderr", "")[-800:]))
        ok(len(users) == len(enabled) and len({u["email"].lower() for u in users}) == len(users),
           "and exactly one login user each", (len(users), len(enabled)))
        seq = env.emu.last_seq()
        r = env.sync(profile, "--full")
        ok(r["_rc"] == 0 and not env.emu.writes_since(seq), "and one more run writes nothing")

        # 10 % leave at once: more than the automatic limit, so the mapping pauses
        leavers = sorted(enabled)[:120]
        for u in leavers:
            env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (gid, u))
        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] != 0 and synctest.mapping(r, "Employees").get("status") == "paused"
           and not env.emu.writes_since(seq),
           "120 leavers at once pause the mappings and nothing is written",
           (synctest.mapping(r, "Employees"), env.emu.writes_since(seq)[:3]))
        r = env.sync(profile, "--allow-deactivations")
        recs = env.emu.records()
        ok(r["_rc"] == 0 and all(recs[u][0]["status"] == INACTIVE for u in leavers),
           "released for one run, they become Inactive", synctest.counts(r, "Employees"))

        # most of the group vanishes from the read: the shrunken-read guard holds
        for u in sorted(enabled)[120:900]:
            env.graph.call("DELETE", "/_admin/groups/%s/members/%s" % (gid, u))
        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(synctest.counts(r, "Employees")[2] == 0 and "no one is deactivated" in r.get("_stderr", "")
           and not env.emu.writes_since(seq),
           "a read that returns under half of the last good one deactivates no one, and says why",
           (synctest.counts(r, "Employees"), r.get("_stderr", "")[-600:]))
    finally:
        env.close()


def main():
    test_sync_from_entra()
    test_errors_name_the_fix()
    test_migration_from_active_directory()
    test_delta("classic")
    test_delta("pro")
    test_delta_sid_anchor()
    test_guards_and_kill()
    return synctest.finish()


if __name__ == "__main__":
    sys.exit(main())
