#!/usr/bin/python3
"""A sync converges under faults, end to end, in both dialects.

A real slapd with 1,000 people and the Asset Panda emulator answering 10 %
of calls 502/503/504, dropping 5 % of connections (after applying the
call: the answer is lost), cutting 5 % of 2xx answers short, throttling
3 % with 429 + Retry-After, and issuing Classic tokens that live 5 s.
pandasync-cli syncs a collection mapping of everyone and a users mapping
of a pilot group. Checked in the emulator's own state and call log:

- the first sync reaches the exact expected state within two runs, with no
  duplicate record or user and nothing deleted;
- a delta (changed names, disabled people, people removed from the groups)
  reaches the exact state within two runs too;
- with the faults off, one more run writes nothing.

Prints TAP, with the runs, calls and faults of each phase as comments.
Needs PANDASYNC_CLI, PANDASYNC_EMULATOR, PANDASYNC_SOURCE_ROOT. For a closer
look: PS_FAULTS_DIALECTS="pro" runs one dialect, PS_FAULTS_TRACE=1 lists
every call of every run with its start time, status and fault.
"""
import base64
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synctest  # noqa: E402
from synctest import BASE, PRO_ACCOUNT, PRO_EMPLOYEES, PRO_MODULE, Env, asset_panda_section, ok  # noqa: E402

PEOPLE = 1000
PILOTS = 120                      # user00001 … user00120 get a login
DOMAIN = "S-1-5-21-1111-2222-3333-"
RANDOM_SEED = 4242
FAULTS = {"error_rate": 0.10, "drop_rate": 0.05, "drop_after": True, "truncate_rate": 0.05,
          "throttle_rate": 0.03, "throttle_retry_after": 1}
NO_FAULTS = {"error_rate": 0, "drop_rate": 0, "truncate_rate": 0, "throttle_rate": 0}
MAX_RUNS = 2

CLASSIC_EMPLOYEES = 82677
CLASSIC_FIELDS = {"first": "field_1", "last": "field_2", "mail": "field_3", "number": "field_7",
                  "status": "field_8"}
CLASSIC_STATUS = {901: "Active", 902: "Inactive", 903: "None"}
CLASSIC_ROLE = 30135
PRO_ROLE = "01HWQDETG9M3M7S2ZR5VDANJYM"   # Collaborator
PRO_COLS = {"first": PRO_EMPLOYEES + "_0_firstname_text", "last": PRO_EMPLOYEES + "_1_lastname_text",
            "mail": PRO_EMPLOYEES + "_2_email_text", "sid": PRO_EMPLOYEES + "_6_employeeid_text",
            "status": PRO_EMPLOYEES + "_7_integrationstatusad_singleselect"}
PRO_STATUS = {"01HWQ2Q50KP45XRDKREZS647QV": "Active", "01HWQTW4CKYV7AQAB9MZNG0A0K": "Inactive",
              "01HWQ77ZY4FTJPEB03MXKWWS9G": "None"}

ALL_STAFF = "cn=all-staff,ou=groups," + BASE
PILOT = "cn=pilot,ou=groups," + BASE


def udn(i):
    return "uid=user%05d,ou=people,%s" % (i, BASE)


def sid_text(b64):
    raw = base64.b64decode(b64)
    n = raw[1]
    subs = struct.unpack("<%dI" % n, raw[8:8 + 4 * n])
    return "S-%d-%d-%s" % (raw[0], int.from_bytes(raw[2:8], "big"), "-".join(str(s) for s in subs))


# ------------------------------------------------------------------ the world

class World(Env):
    """A fresh slapd with the fixture's 1,000 people plus a pilot group, and
    a fresh emulator (demo seed) with the faults on, for one dialect."""

    def __init__(self, dialect):
        super().__init__("pandasync-faults-%s-" % dialect)
        self.dialect = dialect
        self.slapd = self.start_slapd(["--users", str(PEOPLE)])
        self.slapd.modify("dn: %s\nchangetype: add\nobjectClass: groupOfNames\ncn: pilot\n%s\n"
                          % (PILOT, "\n".join("member: " + udn(i) for i in range(1, PILOTS + 1))))
        self.emu = self.start_emulator("--latency-ms", "1", "--random-seed", str(RANDOM_SEED),
                                       "--token-lifetime", "5", "--call-log-max", "0")
        self.profile = os.path.join(self.tmp, "faults.conf")
        secret = "ps-demo-secret" if dialect == "classic" else "aks-demo-secret-0001"
        creds = self.credentials("credentials.ini", {
            "ApiClientSecret": secret, "ApiPassword": "Panda-Admin-1",
            "BindPassword": self.slapd.env["PS_TEST_LDAP_PASSWORD"]})
        self.write_profile(creds)

    def write_profile(self, creds):
        if self.dialect == "classic":
            scope = "Account=21040\n"
            users = scope + "Role=%d\n" % CLASSIC_ROLE
            collection = scope + ("Collection=%d\nUniqueIdentifier=objectSid\nField.Email=mail;never-blank\n"
                                  "Field.Employee ID=employeeNumber;overwrite\n" % CLASSIC_EMPLOYEES)
        else:
            scope = "Account=%s\nModule=%s\n" % (PRO_ACCOUNT, PRO_MODULE)
            users = scope + "Role=%s\n" % PRO_ROLE
            collection = scope + ("Collection=%s\nUniqueIdentifier=objectSid\nUniqueField=Employee ID\n"
                                  "Field.Email=mail;never-blank\n" % PRO_EMPLOYEES)
        self.write_profile_file(self.profile, "faults-" + self.dialect, creds, """{target}
{directory}
[UserMapping Pilots]
{users}Group={pilot}
GroupName=pilot
DeactivationThreshold=off

[CollectionMapping Employees]
{collection}Group={staff}
GroupName=all-staff
StatusField=Integration Status AD
DeactivationThreshold=off
Field.First Name=givenName;overwrite
Field.Last Name=sn;overwrite
""".format(target=asset_panda_section(self.emu.url, self.dialect, "Concurrency=4\n"),
           directory=self.slapd.directory_section(), users=users, pilot=PILOT, collection=collection,
           staff=ALL_STAFF), state=os.path.join(self.tmp, "state.db"))

    def faults(self, switches):
        self.emu.post("/_admin/faults", switches)

    def sync(self):
        return Env.sync(self, self.profile)

    # ---- what the directory says should be there

    def expected(self):
        """({sid: record}, {email: user}): every in-scope person's record (Active when
        enabled, Inactive when a record exists for a leaver) and every pilot's login."""
        people = {}
        for e in self.slapd.search("ou=people," + BASE, "(uid=user*)", "objectSid", "givenName", "sn",
                                   "mail", "employeeNumber", "userAccountControl", "accountExpires"):
            uac = int(e.get("userAccountControl", ["512"])[0])
            exp = int(e.get("accountExpires", ["0"])[0])
            expired = exp not in (0, 9223372036854775807) and exp < 134000000000000000
            people[e["dn"].lower()] = {
                "sid": sid_text(e["objectSid"][0]), "first": e["givenName"][0], "last": e["sn"][0],
                "mail": e["mail"][0], "number": e["employeeNumber"][0],
                "enabled": not (uac & 2) and not expired}
        staff = {m.lower() for m in self.slapd.search(ALL_STAFF, "(objectClass=*)", "member")[0].get("member", [])}
        pilots = {m.lower() for m in self.slapd.search(PILOT, "(objectClass=*)", "member")[0].get("member", [])}
        return people, staff, pilots

    # ---- what Asset Panda holds (our domain only)

    def records(self):
        state = self.emu.get("/_admin/state")
        out = {}
        if self.dialect == "classic":
            g = [g for g in state["classic"]["groups"] if g["id"] == CLASSIC_EMPLOYEES][0]
            for o in g["objects"]:
                sid = o.get("integ_ad_sid") or ""
                if not sid.startswith(DOMAIN):
                    continue
                d = o["data"]
                st = d.get(CLASSIC_FIELDS["status"])
                st = st.get("id") if isinstance(st, dict) else (int(st) if st not in (None, "") else None)
                out.setdefault(sid, []).append({
                    "first": d.get(CLASSIC_FIELDS["first"]), "last": d.get(CLASSIC_FIELDS["last"]),
                    "mail": d.get(CLASSIC_FIELDS["mail"]), "number": d.get(CLASSIC_FIELDS["number"]),
                    "status": CLASSIC_STATUS.get(st), "archived": o.get("is_archived", False)})
        else:
            module = state["pro"]["accounts"][0]["modules"][0]
            coll = [c for c in module["collections"] if c["id"] == PRO_EMPLOYEES][0]
            for r in coll["records"]:
                sid = r.get(PRO_COLS["sid"]) or ""
                if not sid.startswith(DOMAIN):
                    continue
                st = r.get(PRO_COLS["status"])
                st = st.get("id") if isinstance(st, dict) else st
                out.setdefault(sid, []).append({
                    "first": r.get(PRO_COLS["first"]), "last": r.get(PRO_COLS["last"]),
                    "mail": r.get(PRO_COLS["mail"]), "status": PRO_STATUS.get(st), "archived": False})
        return out

    def users(self):
        state = self.emu.get("/_admin/state")
        out = {}
        if self.dialect == "classic":
            for u in state["classic"]["users"]:
                if (u.get("integ_ad_sid") or "").startswith(DOMAIN):
                    out.setdefault(u["email"].lower(), []).append(
                        {"active": u["is_active"], "role": u.get("template_rule_id"),
                         "first": u.get("first_name"), "last": u.get("last_name")})
        else:
            for u in state["pro"]["accounts"][0]["modules"][0]["users"]:
                if u["email"].lower().startswith("user"):
                    out.setdefault(u["email"].lower(), []).append(
                        {"active": u.get("isActive", True), "role": u.get("roleId"),
                         "first": u.get("firstName"), "last": u.get("lastName")})
        return out

    def calls_since(self, seq):
        return [c for c in self.emu.get("/_admin/calls?since=%d" % seq)["calls"] if c["seq"] > seq]


def is_write(c):
    return (c["method"] in ("POST", "PUT", "PATCH", "DELETE") and "/search" not in c["path"]
            and "/session/token" not in c["path"])


# ------------------------------------------------------------------ the checks

def differences(world, known):
    """What differs between Asset Panda and the directory, as a list of
    lines; empty when the state is exact. @known: the sids that ever had a
    record (a leaver's record stays, Inactive)."""
    people, staff, pilots = world.expected()
    records = world.records()
    users = world.users()
    diff = []
    want_sids = set()
    for dn, p in people.items():
        in_scope = dn in staff and p["enabled"]
        if not in_scope and p["sid"] not in known:
            continue
        want_sids.add(p["sid"])
        have = records.get(p["sid"], [])
        if len(have) != 1:
            diff.append("%s: %d records" % (p["sid"], len(have)))
            continue
        r = have[0]
        want = {"first": p["first"], "last": p["last"], "mail": p["mail"],
                "status": "Active" if in_scope else "Inactive", "archived": False}
        if world.dialect == "classic":
            want["number"] = p["number"]
        got = {k: r.get(k) for k in want}
        if got != want:
            diff.append("%s: %s, want %s" % (p["sid"], got, want))
    for sid in set(records) - want_sids:
        diff.append("%s: a record nobody should have" % sid)
    want_mails = set()
    role = CLASSIC_ROLE if world.dialect == "classic" else PRO_ROLE
    for dn, p in people.items():
        mail = p["mail"].lower()
        have = users.get(mail, [])
        active = dn in pilots and p["enabled"]
        if not have:
            if active:
                diff.append("%s: no user" % mail)
            continue
        want_mails.add(mail)
        if len(have) != 1:
            diff.append("%s: %d users" % (mail, len(have)))
        elif have[0]["active"] != active:
            diff.append("%s: user active %s, want %s" % (mail, have[0]["active"], active))
        elif active and have[0]["role"] != role:
            diff.append("%s: role %s, want %s" % (mail, have[0]["role"], role))
    for mail in set(users) - want_mails:
        diff.append("%s: a user nobody should have" % mail)
    return diff


def summary(r):
    return " ".join("%s=%s/%s/%s/%s/%s" % (m["name"], m.get("created"), m.get("updated"), m.get("deactivated"),
                                          m.get("failed"), m.get("status"))
                    for m in r.get("mappings", []))


def trace(calls):
    """The calls of a run with their start times, to see where time went."""
    t0 = calls[0]["started_us"] if calls else 0
    for c in calls:
        print("#   %7.3f %-6s %-45s %-8s %s" % ((c["started_us"] - t0) / 1e6, c["method"], c.get("route", c["path"])[:45],
                                             c.get("status"), c.get("fault") or ""), flush=True)


def converge(world, what, known):
    """Runs sync until the state is exact, at most MAX_RUNS times. Returns
    (runs, diff, calls, faulted)."""
    seq = world.emu.last_seq()
    runs, diff = 0, ["not run"]
    while runs < MAX_RUNS:
        runs += 1
        r = world.sync()
        calls = world.calls_since(seq)
        diff = differences(world, known)
        faulted = sum(1 for c in calls if c.get("fault"))
        print("# %s %s run %d: %.1f s, status %s, %s; %d calls so far, %d of them faulted; %d differences"
              % (world.dialect, what, runs, r["_seconds"], r.get("status", r["_rc"]), summary(r), len(calls),
                 faulted, len(diff)), flush=True)
        if r["_rc"] != 0:
            tail = [l for l in r["_stderr"].splitlines() if "ERROR" in l or "error" in l.lower()][-6:]
            for line in tail:
                print("#   " + line[:300], flush=True)
        if os.environ.get("PS_FAULTS_TRACE"):
            trace(calls)
        if not diff:
            break
    calls = world.calls_since(seq)
    return runs, diff, calls


def check_calls(world, what, calls):
    deletes = [c for c in calls if c["method"] == "DELETE" or c["path"].endswith("/archive")]
    ok(not deletes, "%s %s: nothing was deleted or archived" % (world.dialect, what),
       [(c["method"], c["path"]) for c in deletes][:5])
    faults = {}
    for c in calls:
        if c.get("fault"):
            faults[c["fault"]] = faults.get(c["fault"], 0) + 1
    routes = {}
    for c in calls:
        routes[c.get("route", "?")] = routes.get(c.get("route", "?"), 0) + 1
    print("# %s %s: %d calls, %d writes, faults %s" % (world.dialect, what, len(calls),
                                                      sum(1 for c in calls if is_write(c)),
                                                      json.dumps(faults, sort_keys=True)), flush=True)
    print("#   by endpoint: %s" % json.dumps(routes, sort_keys=True), flush=True)
    return faults


def duplicates(world):
    recs = [sid for sid, v in world.records().items() if len(v) > 1]
    users = [m for m, v in world.users().items() if len(v) > 1]
    return recs, users


def delta(world):
    """Changed names, disabled people, people removed from the groups."""
    for i in range(201, 221):
        world.slapd.modify("dn: %s\nchangetype: modify\nreplace: sn\nsn: Changed-%d\n" % (udn(i), i))
    for i in list(range(301, 311)) + list(range(61, 66)):
        world.slapd.modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n"
                           % udn(i))
    world.slapd.modify("dn: %s\nchangetype: modify\ndelete: member\n%s\n"
                       % (ALL_STAFF, "\n".join("member: " + udn(i) for i in range(401, 411))))
    world.slapd.modify("dn: %s\nchangetype: modify\ndelete: member\n%s\n"
                       % (PILOT, "\n".join("member: " + udn(i) for i in range(71, 76))))


def run_dialect(dialect):
    world = World(dialect)
    try:
        t0 = time.monotonic()
        world.faults(FAULTS)
        runs, diff, calls = converge(world, "first sync", set())
        ok(not diff, "%s: the first sync reaches the exact state in %d run(s) of at most %d"
           % (dialect, runs, MAX_RUNS), diff[:20])
        recs, users = duplicates(world)
        ok(not recs and not users, "%s: no duplicate records or users" % dialect, (recs[:5], users[:5]))
        check_calls(world, "first sync", calls)
        known = set(world.records())
        ok(len(known) == 980, "%s: one record per enabled person (%d)" % (dialect, len(known)))

        delta(world)
        runs, diff, calls = converge(world, "delta", known)
        ok(not diff, "%s: the delta reaches the exact state in %d run(s) of at most %d"
           % (dialect, runs, MAX_RUNS), diff[:20])
        recs, users = duplicates(world)
        ok(not recs and not users, "%s: still no duplicates after the delta" % dialect, (recs[:5], users[:5]))
        check_calls(world, "delta", calls)

        world.faults(NO_FAULTS)
        seq = world.emu.last_seq()
        r = world.sync()
        writes = [c for c in world.calls_since(seq) if is_write(c)]
        ok(r["_rc"] == 0 and not writes, "%s: with the faults off, one more run writes nothing" % dialect,
           (summary(r), [(c["method"], c["path"], json.dumps(c.get("request_body"))[:400]) for c in writes][:10],
            r["_stderr"][-1500:]))
        print("# %s: %.1f s in all" % (dialect, time.monotonic() - t0), flush=True)
    finally:
        world.close()


def main():
    synctest.skip_without("/usr/sbin/slapd", "ldapsearch", "ldapmodify")
    for dialect in os.environ.get("PS_FAULTS_DIALECTS", "classic pro").split():
        print("# %s" % dialect, flush=True)
        run_dialect(dialect)
    return synctest.finish()


if __name__ == "__main__":
    sys.exit(main())
