#!/usr/bin/python3
"""Okta as the source, end to end: the Okta emulator and the Asset Panda
emulator on 127.0.0.1, driven through pandasync-cli.

The connection test and the group search, an initial sync (login users and
a collection), a rerun with zero Asset Panda writes, every status mapped as
the README documents (SUSPENDED and DEPROVISIONED become Inactive and come
back, RECOVERY and LOCKED_OUT stay Active, STAGED is left out until
activated), removal from the group and a hard-deleted user (404) becoming
Inactive, Filters by department and by status giving exactly the scope the
emulator's own state gives, a wrong token (E0000011) and a missing admin
right (E0000006) named without the token, HTTPS with a private CA trusted
through CAFile (and the TLS step named without it), and a 429 whose reset
is honoured.

Prints TAP. Needs PANDASYNC_CLI, PANDASYNC_EMULATOR, PANDASYNC_OKTA_EMULATOR,
PANDASYNC_SOURCE_ROOT.
"""
import json
import os
import sys
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synctest  # noqa: E402
from synctest import (ACTIVE, INACTIVE, SRC, Env as BaseEnv, Server, asset_panda_section, ok)  # noqa: E402

OKTA = os.environ["PANDASYNC_OKTA_EMULATOR"]
OKTA_SEED = os.path.join(SRC, "tests", "emulator", "okta", "seed-small.json")
TOKEN = "00ps-okta-full-token-acme-00000000000001"        # a read-only admin's
REPORT_TOKEN = "00ps-okta-report-admin-token-acme-000003"  # may read the System Log only
AT_WORK = {"ACTIVE", "PROVISIONED", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT"}
DISABLED = {"SUSPENDED", "DEPROVISIONED"}


class Okta(Server):
    def __init__(self, workdir, *extra):
        super().__init__(OKTA, workdir, "okta.log", "Okta emulator", ["--seed", OKTA_SEED] + list(extra),
                         cafile=os.path.join(workdir, "ca", "ca.pem"))

    def org(self):
        return self.call("GET", "/_admin/state")["orgs"][0]

    def faults(self, body):
        return self.call("POST", "/_admin/faults", body)

    def lifecycle(self, uid, action):
        return self.call("POST", "/_admin/users/%s/lifecycle/%s" % (uid, action), {})


class Env(BaseEnv):
    def __init__(self, *okta_args, tls=False):
        super().__init__("pandasync-okta-")
        self.timeout = 300
        if tls:
            ca = self.make_ca()
            okta_args += ("--tls-cert", os.path.join(ca, "server.pem"),
                          "--tls-key", os.path.join(ca, "server.key"))
        self.okta = self.serve(Okta(self.tmp, *okta_args))
        self.emu = self.start_emulator()
        self.env["GIO_USE_PROXY_RESOLVER"] = "dummy"
        # One group with every seeded user but the token's admin: every status.
        org = self.okta.org()
        self.admin = [t for t in org["tokens"] if t.get("token") == TOKEN][0].get("admin")
        self.staff = self.okta.call("POST", "/_admin/groups", {
            "profile": {"name": "PandaSync Staff", "description": "Everyone the sync covers"},
            "members": [u["id"] for u in org["users"] if u["id"] != self.admin]})["id"]

    def profile(self, name, mappings, token=TOKEN, extra=""):
        creds = self.credentials(name + ".credentials",
                                 dict(synctest.asset_panda_secrets(), OktaApiToken=token))
        return self.write_profile_file(os.path.join(self.tmp, name + ".conf"), name, creds, """{target}
[Okta]
URL={okta}
{extra}
{mappings}""".format(target=asset_panda_section(self.emu.url), okta=self.okta.url, extra=extra,
                     mappings=mappings))


MAPPINGS = """[UserMapping Staff]
Account=21040
Role=30135
Group={group}
GroupName=PandaSync Staff
Email=email|login
FirstName=firstName
LastName=profile.lastName
{filter}
[CollectionMapping Employees]
Account=21040
Collection=82677
Group={group}
GroupName=PandaSync Staff
UniqueIdentifier=id
StatusField=Integration Status AD
Field.First Name=firstName;overwrite
Field.Last Name=lastName;overwrite
Field.Email=email|login;never-blank
Field.Department=profile.department;fill-empty
Field.Title=title;overwrite
{filter}
"""


def mappings(group, filter_line=""):
    return MAPPINGS.format(group=group, filter=filter_line + "\n" if filter_line else "")


def members(env, group_id):
    """The group's users, by id, from the emulator's own state."""
    org = env.okta.org()
    users = {u["id"]: u for u in org["users"]}
    group = [g for g in org["groups"] if g["id"] == group_id][0]
    return {m: users[m] for m in group.get("members", []) if m in users}


def status_of(user):
    return user.get("transitioningToStatus") or user["status"]


def login_users(env):
    return {x.get("email", "").lower(): x for x in env.emu.get("/_admin/state")["classic"]["users"]}


def test_connection_and_groups():
    print("# Okta: the connection test and the group search go through PsSource", flush=True)
    env = Env()
    try:
        profile = env.profile("okta", mappings(env.staff))
        c = env.cli(profile, "test-connection", "--only", "directory")
        ok(c.returncode == 0 and "Check the API token" in c.stdout and "Read groups" in c.stdout
           and "PandaSync Staff" in c.stdout,
           "test-connection checks the token, users, groups and the mapping's group", c.stdout + c.stderr)
        c = env.cli(profile, "directory", "groups", "--search", "Eng")
        ok(c.returncode == 0 and "Engineering" in c.stdout and "00gseed0000000000002" in c.stdout,
           "directory groups searches Okta's groups by name", c.stdout + c.stderr)
        c = env.cli(profile, "directory", "scope", "--mapping", "Employees", "--json")
        scope = json.loads(c.stdout) if c.returncode == 0 else {}
        people = members(env, env.staff)
        ok(scope.get("members") == len(people)
           and scope.get("in_scope") == len([u for u in people.values() if status_of(u) != "STAGED"])
           and scope.get("enabled") == len([u for u in people.values() if status_of(u) in AT_WORK]),
           "directory scope counts the group's users, less the STAGED, and those at work", (scope, c.stderr))
    finally:
        env.close()


def test_sync_from_okta():
    print("# Okta: initial sync, no-op, every status, leavers and returners", flush=True)
    env = Env("--page-size", "3")
    try:
        profile = env.profile("okta", mappings(env.staff))
        people = members(env, env.staff)
        at_work = {k: v for k, v in people.items() if status_of(v) in AT_WORK}
        staged = [k for k, v in people.items() if status_of(v) == "STAGED"]
        r = env.sync(profile)
        ok(r["_rc"] == 0 and r.get("status") == "succeeded", "the first sync from Okta succeeds",
           r.get("_stderr", "")[-2000:])
        recs = env.emu.records()
        mine = {k: v for k, v in recs.items() if k in people}
        ok(set(mine) == set(at_work) and all(len(v) == 1 and v[0]["status"] == ACTIVE for v in mine.values()),
           "one Active record per user at work (ACTIVE, PROVISIONED, RECOVERY, PASSWORD_EXPIRED, "
           "LOCKED_OUT: %d), anchored by the Okta id" % len(at_work),
           (sorted(mine), sorted(at_work), r.get("_stderr", "")[-3000:]))
        ok(not any(k in recs for k in staged) and "STAGED" in r.get("_stderr", ""),
           "STAGED users get nothing, and the log counts them", r.get("_stderr", "")[-1500:])
        some = sorted(at_work)[0]
        p, d = at_work[some]["profile"], mine[some][0]["data"]
        ok(d.get("field_1") == p.get("firstName") and d.get("field_2") == p.get("lastName")
           and d.get("field_3") == (p.get("email") or p.get("login")),
           "its fields are Okta's profile values (name and profile.name alike)", (d, p))
        emails = {(v["profile"].get("email") or v["profile"]["login"]).lower() for v in at_work.values()}
        users = login_users(env)
        ok(synctest.counts(r, "Staff")[0] == len(at_work) and all(e in users for e in emails),
           "and one login user each", (synctest.counts(r, "Staff"), len(users)))
        calls = env.okta.calls()
        ok(any("after=" in c.get("query", "") for c in calls)
           and all(c.get("auth") == "SSWS" for c in calls if c["path"].startswith("/api/")),
           "the group's pages of three are followed through the Link header, with the API token")

        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] == 0 and not env.emu.writes_since(seq), "a second run writes nothing",
           (env.emu.writes_since(seq)[:5], r.get("_stderr", "")[-800:]))

        # Every status change as the README documents it.
        active = sorted(k for k, v in at_work.items() if status_of(v) == "ACTIVE")
        suspended, deactivated, locked, removed, deleted = active[:5]
        env.okta.lifecycle(suspended, "suspend")
        env.okta.lifecycle(deactivated, "deactivate")
        env.okta.lifecycle(locked, "lock")
        env.okta.call("DELETE", "/_admin/groups/%s/members/%s" % (env.staff, removed))
        env.okta.lifecycle(deleted, "deactivate")
        env.okta.call("DELETE", "/_admin/users/%s?hard=1" % deleted)
        if staged:
            env.okta.lifecycle(staged[0], "activate")
        r = env.sync(profile)
        recs = env.emu.records()
        ok(r["_rc"] == 0 and all(recs[x][0]["status"] == INACTIVE for x in (suspended, deactivated)),
           "SUSPENDED and DEPROVISIONED users become Inactive",
           (synctest.counts(r, "Employees"), r.get("_stderr", "")[-1500:]))
        ok(recs[locked][0]["status"] == ACTIVE, "a LOCKED_OUT user stays Active")
        ok(all(recs[x][0]["status"] == INACTIVE for x in (removed, deleted)),
           "a user removed from the group, and one deleted for good (404), become Inactive",
           (recs.get(removed), recs.get(deleted)))
        ok(not staged or (len(recs.get(staged[0], [])) == 1 and recs[staged[0]][0]["status"] == ACTIVE),
           "a STAGED user gets an Active record once activated")
        ok(synctest.counts(r, "Employees")[2] == 4, "four deactivations, no more", synctest.counts(r, "Employees"))
        users = login_users(env)
        ok(all(not users[(people[x]["profile"].get("email") or people[x]["profile"]["login"]).lower()]["is_active"]
               for x in (suspended, deactivated, removed, deleted)),
           "and their login users are deactivated")
        gets = [c for c in env.okta.calls() if c["path"] == "/api/v1/users/%s" % deleted]
        ok(not gets or all(c["status"] == 404 for c in gets), "the deleted user answers 404 (E0000007)", gets)

        # They come back: the same records, Active again.
        env.okta.lifecycle(suspended, "unsuspend")
        env.okta.lifecycle(deactivated, "activate")
        env.okta.call("POST", "/_admin/groups/%s/members" % env.staff, {"id": removed})
        r = env.sync(profile)
        recs = env.emu.records()
        ok(r["_rc"] == 0 and all(len(recs[x]) == 1 and recs[x][0]["status"] == ACTIVE
                                 for x in (suspended, deactivated, removed))
           and synctest.counts(r, "Employees")[0] == 0,
           "unsuspended, reactivated and re-added users are Active again on the same record",
           (synctest.counts(r, "Employees"), r.get("_stderr", "")[-1500:]))

        # A passing outage is retried; a read that fails never deactivates anyone.
        env.okta.faults({"rules": [{"fault": "error", "match": "GET /api/v1/groups/*", "nth": 1,
                                    "count": 2, "status": 503}]})
        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] == 0 and not env.emu.writes_since(seq),
           "two 503 answers are asked again, and the run goes on as before",
           (r.get("_stderr", "")[-800:], env.emu.writes_since(seq)[:3]))
        env.okta.faults({"rules": [{"fault": "forbidden", "match": "GET /api/v1/*", "rate": 1.0}]})
        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] != 0 and not env.emu.writes_since(seq) and "E0000006" in r.get("_stderr", ""),
           "when Okta refuses the read, the mappings fail and nothing is written",
           (r.get("_stderr", "")[-800:], env.emu.writes_since(seq)[:3]))
        env.okta.faults({"clear_rules": True})
    finally:
        env.close()


def test_filters():
    print("# Okta: Filter by department and by status, ANDed with the group", flush=True)
    env = Env()
    try:
        people = members(env, env.staff)
        sales = {k for k, v in people.items() if (v["profile"].get("department") or "").lower() == "sales"}
        profile = env.profile("sales", mappings(env.staff, 'Filter=department eq "Sales"'))
        c = env.cli(profile, "directory", "scope", "--mapping", "Employees", "--json")
        scope = json.loads(c.stdout) if c.returncode == 0 else {}
        ok(scope.get("in_scope") == len([k for k in sales if status_of(people[k]) != "STAGED"]),
           "a department filter keeps the group's Sales users", (scope, sorted(sales), c.stderr))
        r = env.sync(profile)
        recs = env.emu.records()
        want = {k for k in sales if status_of(people[k]) in AT_WORK}
        ok(r["_rc"] == 0 and set(k for k in recs if k in people) == want,
           "and a sync creates records for exactly them (%d)" % len(want),
           (sorted(k for k in recs if k), sorted(want), r.get("_stderr", "")[-1500:]))
        calls = env.okta.calls()
        ok(any(c["path"] == "/api/v1/users" and "search=" in c.get("query", "") for c in calls),
           "the filter is Okta's own search, intersected with the group's users")

        c = env.cli(profile, "directory", "scope", "--mapping", "Employees", "--json",
                    "--filter", 'status eq "ACTIVE" or status eq "LOCKED_OUT"')
        scope = json.loads(c.stdout) if c.returncode == 0 else {}
        want = [k for k, v in people.items() if v["status"] in ("ACTIVE", "LOCKED_OUT")]
        leaving = [k for k in want if status_of(people[k]) not in AT_WORK]
        ok(scope.get("in_scope") == len(want) and scope.get("enabled") == len(want) - len(leaving),
           "a status filter keeps the users with those statuses (one of them on the way out)",
           (scope, len(want), leaving, c.stderr))

        c = env.cli(profile, "directory", "scope", "--mapping", "Employees", "--filter",
                    'department ne "Sales"')
        ok(c.returncode != 0 and "“ne”" in c.stderr and "lt" in c.stderr,
           "an expression Okta cannot run is named, with the way to write it", c.stderr)
        bad = env.profile("bad", mappings(env.staff, 'Filter=(department=Sales)'))
        r = env.sync(bad)
        ok(r["_rc"] != 0 and "not an Okta search expression" in r.get("_stderr", ""),
           "an LDAP filter in an Okta profile is a profile error, never a read of nobody",
           r.get("_stderr", "")[-800:])
        based = env.profile("based", mappings(env.staff, "SearchBase=OU=Staff,DC=example,DC=com"))
        r = env.sync(based)
        ok(r["_rc"] != 0 and "SearchBase" in r.get("_stderr", ""), "SearchBase is refused for Okta",
           r.get("_stderr", "")[-800:])
    finally:
        env.close()


def test_errors_name_the_fix():
    print("# Okta: errors that say what to fix", flush=True)
    env = Env()
    try:
        wrong = env.profile("wrong", mappings(env.staff), token="00not-the-token-at-all")
        r = env.sync(wrong)
        msg = r.get("_stderr", "")
        ok(r["_rc"] != 0 and "E0000011" in msg and "okta-api-token" in msg and "00not-the-token" not in msg,
           "a wrong API token is named (E0000011), and never printed", msg[-800:])
        weak = env.profile("weak", mappings(env.staff), token=REPORT_TOKEN)
        r = env.sync(weak)
        msg = r.get("_stderr", "") + json.dumps(r)
        ok(r["_rc"] != 0 and "E0000006" in msg and "Read-Only Administrator" in msg and REPORT_TOKEN not in msg,
           "a missing admin right is named (E0000006)", msg[-800:])
        c = env.cli(weak, "test-connection", "--only", "directory", "--json")
        steps = {s["id"]: s for s in json.loads(c.stdout)["steps"]} if c.stdout.startswith("{") else {}
        ok(steps.get("token", {}).get("result") == "ok" and steps.get("groups", {}).get("result") == "failed",
           "the connection test says which step lacks the right", c.stdout + c.stderr)
        named = env.profile("named", mappings("No Such Group"))
        r = env.sync(named)
        ok(r["_rc"] != 0 and "no group named “No Such Group”" in r.get("_stderr", ""),
           "a group that is not there is named", r.get("_stderr", "")[-800:])
        path = env.profile("path", mappings(env.staff))
        with open(path) as f:
            text = f.read().replace("URL=%s\n" % env.okta.url, "URL=%s/api/v1\n" % env.okta.url)
        with open(path, "w") as f:
            f.write(text)
        c = env.cli(path, "profile", "validate")
        ok(c.returncode != 0 and "remove “/api/v1”" in (c.stdout + c.stderr),
           "an org URL with a path is refused, naming what to remove", c.stdout + c.stderr)
    finally:
        env.close()


def test_tls():
    print("# Okta over HTTPS: a private CA is trusted through CAFile, and named when it is not", flush=True)
    env = Env(tls=True)
    try:
        ca = os.path.join(env.tmp, "ca", "ca.pem")
        trusted = env.profile("trusted", mappings(env.staff), extra="CAFile=%s\n" % ca)
        c = env.cli(trusted, "test-connection", "--only", "directory", "--json")
        steps = {s["id"]: s for s in json.loads(c.stdout)["steps"]} if c.stdout.startswith("{") else {}
        ok(c.returncode == 0 and steps.get("tls", {}).get("message") == "The certificate is trusted.",
           "with CAFile the connection test passes, TLS included", c.stdout + c.stderr)
        r = env.sync(trusted)
        ok(r["_rc"] == 0, "and a sync over HTTPS succeeds", r.get("_stderr", "")[-800:])
        plain = env.profile("plain", mappings(env.staff))
        c = env.cli(plain, "test-connection", "--only", "directory", "--json")
        steps = {s["id"]: s for s in json.loads(c.stdout)["steps"]} if c.stdout.startswith("{") else {}
        ok(steps.get("connect", {}).get("result") == "ok" and steps.get("tls", {}).get("result") == "failed"
           and "CAFile" in steps.get("tls", {}).get("message", "")
           and steps.get("token", {}).get("result") == "skipped",
           "without it the TLS step fails, says to set CAFile, and the token is not tried",
           c.stdout + c.stderr)
    finally:
        env.close()


def test_rate_limit():
    print("# Okta: a 429 is waited out until X-Rate-Limit-Reset", flush=True)
    env = Env()
    try:
        profile = env.profile("throttled", mappings(env.staff))
        env.okta.faults({"rules": [{"fault": "throttle", "match": "GET /api/v1/groups/*/users", "nth": 1,
                                    "count": 1, "reset": 1}]})
        r = env.sync(profile)
        calls = [c for c in env.okta.calls() if c["route"] == "GET /api/v1/groups/{id}/users"]
        first = calls[0] if calls else {}
        after = [c for c in calls[1:]]
        waited = ((after[0]["started_us"] - first["started_us"]) / 1e6) if after and first else 0
        ok(r["_rc"] == 0 and first.get("status") == 429 and after and after[0]["status"] == 200,
           "the sync succeeds after a 429", (first, after[:1], r.get("_stderr", "")[-800:]))
        ok(waited >= 1.0, "the retry came after the reset (%.1f s later)" % waited)
    finally:
        env.close()

DELTA_MAPPING = """[CollectionMapping Employees]
Account=21040
Collection=82677
Group={group}
GroupName=PandaSync Staff
UniqueIdentifier=id
StatusField=Integration Status AD
Field.First Name=firstName;overwrite
Field.Last Name=lastName;overwrite
Field.Email=email|login;never-blank
Field.Department=profile.department;overwrite
"""
GROUP_USERS = "GET /api/v1/groups/{id}/users"


def okta_api_calls(env):
    return [c for c in env.okta.calls() if c["path"].startswith("/api/")]


def test_delta():
    print("# Okta: delta runs follow lastUpdated and the System Log; --full catches a purged deletion",
          flush=True)
    env = Env()
    try:
        profile = env.profile("delta", DELTA_MAPPING.format(group=env.staff))
        people = members(env, env.staff)
        active = sorted(k for k, v in people.items() if status_of(v) == "ACTIVE")
        r = env.sync(profile)
        ok(r["_rc"] == 0, "the first (full) run succeeds", r.get("_stderr", "")[-1500:])

        env.okta.call("DELETE", "/_admin/calls")
        seq = env.emu.last_seq()
        r = env.sync(profile)
        # The token check of the connection (/users/me) aside.
        calls = [c for c in okta_api_calls(env) if c["route"] != "GET /api/v1/users/me"]
        ok(r["_rc"] == 0 and len(calls) <= 3 and not env.emu.writes_since(seq)
           and GROUP_USERS not in [c["route"] for c in calls],
           "a no-op delta run makes %d Okta reads (at most 3) and no Asset Panda write" % len(calls),
           ([c["route"] for c in calls], env.emu.writes_since(seq)[:3], r.get("_stderr", "")[-1500:]))

        changed, suspended, deactivated, deleted, purged = active[:5]

        def one_run(what, check, full_read=False):
            env.okta.call("DELETE", "/_admin/calls")
            r = env.sync(profile)
            routes = [c["route"] for c in okta_api_calls(env)]
            recs = env.emu.records()
            good = r["_rc"] == 0 and (GROUP_USERS in routes) == full_read
            try:
                good = good and check(recs)
            except (KeyError, IndexError):
                good = False
            ok(good, what, (routes, synctest.counts(r, "Employees"), r.get("_stderr", "")[-1500:]))
            return r

        env.okta.call("PATCH", "/_admin/users/%s" % changed, {"profile": {"department": "Legal"}})
        one_run("a changed department reaches Asset Panda in one delta run",
                lambda recs: recs[changed][0]["data"].get("field_4") == "Legal"
                and recs[changed][0]["status"] == ACTIVE)
        env.okta.lifecycle(suspended, "suspend")
        one_run("a SUSPENDED user is Inactive after one delta run",
                lambda recs: recs[suspended][0]["status"] == INACTIVE)
        env.okta.lifecycle(deactivated, "deactivate")
        one_run("a deactivated user is Inactive after one delta run",
                lambda recs: recs[deactivated][0]["status"] == INACTIVE)
        env.okta.call("DELETE", "/_admin/users/%s?hard=true" % deleted)
        deletes = [e for e in env.okta.call("GET", "/_admin/logs")["events"]
                   if e.get("eventType") == "user.lifecycle.delete.initiated"
                   and any(t.get("id") == deleted for t in e.get("target", []))]
        r = one_run("a deleted user (its delete.initiated in the System Log) is Inactive after one run "
                    "(its membership moved, so the group is read)",
                    lambda recs: recs[deleted][0]["status"] == INACTIVE and len(recs[deleted]) == 1,
                    full_read=True)
        ok(deletes and "reading the whole group" in r.get("_stderr", ""),
           "the log event is there, and the run says why it read the group", r.get("_stderr", "")[-1500:])
        new = env.okta.call("POST", "/_admin/users", {
            "profile": {"login": "zoe.delta@acme.example.com", "email": "zoe.delta@acme.example.com",
                        "firstName": "Zoe", "lastName": "Delta", "department": "Legal"},
            "groups": [env.staff]})["id"]
        one_run("a user added to the group falls back to a full read and gets an Active record",
                lambda recs: len(recs[new]) == 1 and recs[new][0]["status"] == ACTIVE, full_read=True)
        seq = env.emu.last_seq()
        one_run("the run after it is a delta again", lambda recs: True)
        ok(not env.emu.writes_since(seq), "and writes nothing", env.emu.writes_since(seq)[:3])

        # Deleted after the System Log was purged: only a full reconciliation
        # can see it (the user is in no group read, and Okta answers 404).
        env.okta.call("DELETE", "/_admin/users/%s?hard=true" % purged)
        removed = env.okta.call("POST", "/_admin/logs/purge", {"all": True})
        req = urllib.request.Request(env.okta.url + "/api/v1/users/" + purged,
                                     headers={"Authorization": "SSWS " + TOKEN})
        try:
            urllib.request.urlopen(req, timeout=30, context=env.okta.context)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        r = env.sync(profile, "--full")
        recs = env.emu.records()
        ok(r["_rc"] == 0 and removed.get("removed", 0) > 0 and status == 404
           and recs[purged][0]["status"] == INACTIVE and len(recs[purged]) == 1,
           "--full deactivates a user whose deletion the purged System Log no longer has (404)",
           (removed, status, recs.get(purged), r.get("_stderr", "")[-1500:]))
    finally:
        env.close()


def main():
    test_connection_and_groups()
    test_sync_from_okta()
    test_filters()
    test_errors_name_the_fix()
    test_tls()
    test_rate_limit()
    test_delta()
    return synctest.finish()


if __name__ == "__main__":
    sys.exit(main())
