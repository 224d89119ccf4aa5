#!/usr/bin/python3
"""The sync engine end to end: a real slapd and the Asset Panda emulator on
127.0.0.1, driven through pandasync-cli as an administrator would, with
every outcome checked in the emulator's own state and call log.

Prints TAP. Needs PANDASYNC_CLI, PANDASYNC_EMULATOR and PANDASYNC_SOURCE_ROOT
(meson sets them).
"""
import json
import re
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synctest import (ACTIVE, ADMIN, BASE, CLI, EMPLOYEES, INACTIVE, STATUS_FIELD, Env,  # noqa: E402
                      asset_panda_section, bail, by_sid, counts, finish, mapping, ok, skip_without)

# ------------------------------------------------------------------ the profile and the CLI

class Setup(Env):
    def __init__(self, mode, group, *emulator_args):
        super().__init__("pandasync-sync-")
        self.slapd = self.start_slapd(mode)
        self.emu = self.start_emulator(*emulator_args)
        self.profile = os.path.join(self.tmp, "sync.conf")
        self.creds = self.credentials("credentials.ini", {
            "ApiClientSecret": "ps-demo-secret", "ApiPassword": "Panda-Admin-1",
            "BindPassword": self.slapd.env["PS_TEST_LDAP_PASSWORD"]})
        # The wizard stores the group by objectGUID, so that renaming or
        # moving it cannot empty the mapping's scope; do the same.
        self.group_guid = group
        self.write_profile()
        self.group_guid = self.guid_of_group(group)
        self.write_profile()

    def guid_of_group(self, cn):
        r = self.cli(self.profile, "directory", "groups", "--search", cn, "--json")
        for line in r.stdout.splitlines():
            g = json.loads(line)
            if g.get("cn") == cn:
                return g.get("objectGUID")
        bail("group %s not found via the CLI: %s %s" % (cn, r.stdout, r.stderr))

    def write_profile(self, threshold="auto", extra_collection=""):
        self.write_profile_file(self.profile, "sync-test", self.creds, """{target}
{directory}
[UserMapping Staff]
Account=21040
Role=30135
Group={group}
GroupName=All Staff
DeactivationThreshold={threshold}

[CollectionMapping Employees]
Account=21040
Collection=82677
Group={group}
GroupName=All Staff
UniqueIdentifier=objectSid
StatusField=Integration Status AD
DeactivationThreshold={threshold}
Field.First Name=givenName;overwrite
Field.Last Name=sn;overwrite
Field.Email=mail;never-blank
Field.Department=department;fill-empty
{extra}""".format(target=asset_panda_section(self.emu.url), directory=self.slapd.directory_section(),
                  group=self.group_guid, threshold=threshold, extra=extra_collection),
                          state=os.path.join(self.tmp, "state.db"))

    def sync(self, *args):
        return Env.sync(self, self.profile, *args)


def status_of(obj):
    v = obj["data"].get(STATUS_FIELD)
    return v.get("id") if isinstance(v, dict) else (int(v) if v not in (None, "") else None)


def person(slapd, uid):
    e = slapd.search("ou=people," + BASE, "(uid=%s)" % uid, "objectSid", "mail", "givenName", "sn")
    return e[0] if e else None


def sid_of(slapd, uid):
    r = subprocess.run([CLI, "directory", "user", uid, "--json", "--profile-file", SETUP.profile],
                       capture_output=True, text=True, env=SETUP.env)
    try:
        return json.loads(r.stdout.splitlines()[0])["objectSid"]
    except (ValueError, IndexError, KeyError):
        bail("cannot read the SID of %s: %s %s" % (uid, r.stdout, r.stderr))


def enabled_people(slapd, group_dns):
    """The enabled users reachable from the groups (nested), read with ldapsearch."""
    seen, users, todo = set(), {}, list(group_dns)
    while todo:
        g = todo.pop()
        if g.lower() in seen:
            continue
        seen.add(g.lower())
        e = slapd.search(g, "(objectClass=*)", "member")
        for m in (e[0].get("member", []) if e else []):
            if m.startswith("cn=") and ",ou=groups," in m:
                todo.append(m)
            else:
                users[m] = True
    out = []
    for dn in users:
        e = slapd.search(dn, "(objectClass=*)", "userAccountControl", "accountExpires")
        if not e:
            continue
        uac = int(e[0].get("userAccountControl", ["512"])[0])
        exp = int(e[0].get("accountExpires", ["0"])[0])
        expired = exp not in (0, 9223372036854775807) and exp < 134000000000000000
        if not (uac & 2) and not expired:
            out.append(dn)
    return out


def department_group(dept):
    return "cn=%s,ou=groups,%s" % (dept, BASE)


# ------------------------------------------------------------------ the tests

def test_full_sync():
    s = SETUP
    expected = enabled_people(s.slapd, ["cn=All Staff,ou=groups," + BASE])
    before_users = len(s.emu.users())
    before_objects = len(s.emu.employees())
    r = s.sync()
    ok(r["_rc"] == 0 and r.get("status") == "succeeded", "a first full sync succeeds",
       r.get("_stderr", "")[-2000:])
    ok(counts(r, "Staff")[0] == len(expected), "it creates one user per enabled member (%d)" % len(expected),
       counts(r, "Staff"))
    ok(counts(r, "Employees")[0] == len(expected), "and one Employees record per enabled member",
       counts(r, "Employees"))
    users = s.emu.users()
    objects = s.emu.employees()
    ok(len(users) == before_users + len(expected), "the emulator holds exactly those users")
    ok(len(objects) == before_objects + len(expected), "the emulator holds exactly those records")
    # One person in detail, with non-ASCII names.
    p = s.slapd.search("ou=people," + BASE, "(&(givenName=Łukasz)(userAccountControl=512))",
                       "givenName", "sn", "mail", "department", "uid")[0]
    sid = sid_of(s.slapd, p["uid"][0])
    rec = by_sid(objects).get(sid, [])
    ok(len(rec) == 1, "the record of %s carries its objectSid %s" % (p["dn"], sid))
    if rec:
        d = rec[0]["data"]
        ok(d.get("field_1") == "Łukasz" and d.get("field_2") == p["sn"][0]
           and d.get("field_3") == p["mail"][0] and d.get("field_4") == p["department"][0]
           and status_of(rec[0]) == ACTIVE,
           "its fields are the directory's values and its status is Active", json.dumps(d))
    u = [u for u in users if u.get("integ_ad_sid") == sid]
    ok(len(u) == 1 and u[0]["template_rule_id"] == 30135 and u[0]["is_active"]
       and u[0]["email"] == p["mail"][0], "the login user has the mapping's role and the email", u)


def test_second_run_no_writes():
    s = SETUP
    seq = s.emu.last_seq()
    r = s.sync()
    writes = s.emu.writes_since(seq)
    ok(r["_rc"] == 0 and not writes, "a second run makes 0 writes", [c["path"] for c in writes][:10])


def searches_since(emu, seq):
    return [c for c in emu.calls() if c["seq"] > seq and "/search" in c["path"]]


def test_delta():
    s = SETUP
    seq = s.emu.last_seq()
    r = s.sync()
    ok(r["_rc"] == 0 and not searches_since(s.emu, seq) and not s.emu.writes_since(seq),
       "a routine run with nothing changed reads no records from Asset Panda and writes nothing",
       [c["path"] for c in searches_since(s.emu, seq)][:5])
    p = s.slapd.search("ou=people," + BASE, "(&(department=People)(userAccountControl=512))", "uid")[0]
    s.slapd.modify("dn: %s\nchangetype: modify\nreplace: sn\nsn: Delta-Sn\n" % p["dn"])
    seq = s.emu.last_seq()
    r = s.sync()
    searches = searches_since(s.emu, seq)
    ids = sum(len((c.get("request_body") or {}).get("ids") or []) for c in searches)
    ok(counts(r, "Employees")[1] == 1 and len(searches) == 1 and ids == 1,
       "one changed person: one record read by id, one update", (counts(r, "Employees"), searches))
    seq = s.emu.last_seq()
    r = s.sync("--full")
    ok(r["_rc"] == 0 and len(searches_since(s.emu, seq)) >= 4 and not s.emu.writes_since(seq),
       "--full reconciles against every record, and finds nothing to write",
       len(searches_since(s.emu, seq)))


def test_dry_run_equals_next_run():
    s = SETUP
    # Three changes: a new surname, a disabled account, a new starter.
    a = s.slapd.search("ou=people," + BASE, "(&(department=Sales)(userAccountControl=512))", "uid")
    s.slapd.modify("dn: %s\nchangetype: modify\nreplace: sn\nsn: Renamed-Sn\n" % a[0]["dn"])
    s.slapd.modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n" % a[1]["dn"])
    add_person(s, 901, "newstarter", "Nova", "Starter", "Sales")
    plan_path = os.path.join(s.tmp, "plan.json")
    seq = s.emu.last_seq()
    dry = s.sync("--dry-run", "--plan-out", plan_path)
    ok(dry["_rc"] == 0 and not s.emu.writes_since(seq), "a dry run writes nothing", dry.get("_stderr"))
    with open(plan_path) as f:
        plan = json.load(f)
    planned = {}
    for m in plan["mappings"]:
        for act in m["actions"]:
            if act["action"] not in ("skip", "link"):
                planned.setdefault(m["name"], []).append(act)
    seq = s.emu.last_seq()
    real = s.sync()
    writes = s.emu.writes_since(seq)
    staff_calls = [c for c in writes if c["path"].startswith("/v3/users")]
    record_calls = [c for c in writes if c["path"].startswith("/v3/groups/")]
    ok(len(planned.get("Staff", [])) == 2 and len(staff_calls) == 2,
       "the users plan (1 create, 1 deactivate) is exactly the users calls made",
       (planned.get("Staff"), [(c["method"], c["path"]) for c in staff_calls]))
    record_ids = set()
    for c in record_calls:
        body = c.get("request_body") or {}
        if c["method"] == "PATCH":
            record_ids.add(c["path"].rsplit("/", 1)[1])
        for o in (body.get("objects") or []):
            record_ids.add(o.get("id") or ("new:" + str(o.get("integ_ad_sid"))))
        if c["method"] == "POST" and "objects" not in body:
            record_ids.add("new:" + str(body.get("integ_ad_sid")))
    want = set(a.get("target_id") or ("new:" + a.get("remote_anchor", "")) for a in planned.get("Employees", []))
    ok(want == record_ids and len(want) == 3,
       "the records plan (create, update, deactivate) names exactly the records written",
       (sorted(want), sorted(record_ids)))
    ok(counts(real, "Employees")[:3] == (1, 1, 1), "and the run reports what the preview said",
       counts(real, "Employees"))


def add_person(s, i, uid, given, sn, dept, sid_rid=None):
    import base64
    import struct
    rid = sid_rid or (9000 + i)
    subs = (21, 1111, 2222, 3333, rid)
    sid = bytes([1, len(subs)]) + (5).to_bytes(6, "big") + b"".join(struct.pack("<I", x) for x in subs)
    guid = struct.pack("<I", 90000 + i) + bytes([0x33]) * 12
    dn = "uid=%s,ou=people,%s" % (uid, BASE)
    s.slapd.modify("""dn: {dn}
changetype: add
objectClass: inetOrgPerson
objectClass: adLikeAccount
uid: {uid}
cn: {given} {sn}
givenName: {given}
sn: {sn}
mail: {uid}@example.com
department: {dept}
sAMAccountName: {uid}
userAccountControl: 512
objectGUID:: {guid}
objectSid:: {sid}

dn: {grp}
changetype: modify
add: member
member: {dn}
""".format(dn=dn, uid=uid, given=given, sn=sn, dept=dept, grp=department_group(dept),
           guid=base64.b64encode(guid).decode(), sid=base64.b64encode(sid).decode()))
    return dn


def test_rename_and_move():
    s = SETUP
    p = s.slapd.search("ou=people," + BASE, "(&(department=Finance)(userAccountControl=512))", "uid")[0]
    s.slapd.modify("dn: ou=moved,%s\nchangetype: add\nobjectClass: organizationalUnit\nou: moved\n" % BASE)
    s.slapd.modify("dn: %s\nchangetype: modrdn\nnewrdn: uid=renamed.person\ndeleteoldrdn: 1\nnewsuperior: ou=moved,%s\n"
                   % (p["dn"], BASE))
    # Rename the group too: the mapping refers to it by objectGUID.
    s.slapd.modify("dn: cn=All Staff,ou=groups,%s\nchangetype: modrdn\nnewrdn: cn=Everyone\ndeleteoldrdn: 1\n" % BASE)
    seq = s.emu.last_seq()
    r = s.sync()
    writes = s.emu.writes_since(seq)
    ok(r["_rc"] == 0 and counts(r, "Staff")[0] == 0 and counts(r, "Employees")[0] == 0
       and counts(r, "Staff")[2] == 0 and counts(r, "Employees")[2] == 0,
       "renaming and moving a person and renaming the group create and deactivate nothing",
       (counts(r, "Staff"), counts(r, "Employees"), r.get("_stderr", "")[-1500:]))
    dup = [k for k, v in by_sid(s.emu.employees()).items() if k and len(v) > 1]
    ok(not dup and not writes, "no duplicate records, no writes", (dup[:5], writes[:5]))


def test_leavers_and_returners():
    s = SETUP
    people = s.slapd.search("ou=people," + BASE, "(&(department=Support)(userAccountControl=512))", "uid",
                            "objectGUID", "objectSid")
    disabled = people[:3]
    expired, removed, deleted = people[3], people[4], people[5]
    sids = {}
    for e in people[:6]:
        sids[e["dn"]] = sid_of(s.slapd, e["uid"][0])
    for e, uac in zip(disabled, (514, 546, 66050)):
        s.slapd.modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: %d\n"
                       % (e["dn"], uac))
    s.slapd.modify("dn: %s\nchangetype: modify\nreplace: accountExpires\naccountExpires: 132223104000000000\n"
                   % expired["dn"])
    s.slapd.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                   % (department_group("Support"), removed["dn"]))
    deleted_ldif = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-H", s.slapd.uri] + ADMIN +
                                  ["-b", deleted["dn"], "-s", "base", "(objectClass=*)", "*"],
                                  capture_output=True, text=True).stdout
    subprocess.run(["ldapdelete", "-H", s.slapd.uri] + ADMIN + [deleted["dn"]], check=True)
    ids_before = {sid: [o["id"] for o in v] for sid, v in by_sid(s.emu.employees()).items()}

    r = s.sync()
    objects = by_sid(s.emu.employees())
    inactive = [dn for dn, sid in sids.items() if objects.get(sid) and status_of(objects[sid][0]) == INACTIVE]
    ok(counts(r, "Employees")[2] == 6 and len(inactive) == 6,
       "disabled (514, 546, 66050), expired, removed and deleted people become Inactive",
       (counts(r, "Employees"), inactive))
    users = {u.get("integ_ad_sid"): u for u in s.emu.users()}
    ok(counts(r, "Staff")[2] == 6 and all(not users[sid]["is_active"] for sid in sids.values()),
       "and their login users are deactivated", counts(r, "Staff"))

    # They come back.
    for e in disabled:
        s.slapd.modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 512\n" % e["dn"])
    s.slapd.modify("dn: %s\nchangetype: modify\nreplace: accountExpires\naccountExpires: 0\n" % expired["dn"])
    s.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (department_group("Support"), removed["dn"]))
    restored = "\n".join(l for l in deleted_ldif.splitlines() if not l.lower().startswith(("memberof:",)))
    s.slapd.modify(restored.replace("dn: " + deleted["dn"], "dn: %s\nchangetype: add" % deleted["dn"], 1) + "\n")
    s.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (department_group("Support"), deleted["dn"]))
    r = s.sync()
    objects = by_sid(s.emu.employees())
    same = all(objects.get(sid) and [o["id"] for o in objects[sid]] == ids_before.get(sid)
               and status_of(objects[sid][0]) == ACTIVE for sid in sids.values())
    ok(counts(r, "Employees")[3] == 6 and counts(r, "Employees")[0] == 0 and same,
       "returners go back to Active on the same record, nothing is created",
       (counts(r, "Employees"), r.get("_stderr", "")[-1200:]))
    users = {u.get("integ_ad_sid"): u for u in s.emu.users()}
    ok(counts(r, "Staff")[3] == 6 and all(users[sid]["is_active"] for sid in sids.values()),
       "and their users are reactivated", counts(r, "Staff"))


def classic_token(s):
    req = urllib.request.Request(s.emu.url + "/v3/session/token", method="POST",
                                 data=json.dumps({"email": "admin@example.com", "password": "Panda-Admin-1",
                                                  "client_id": "ps-demo-client",
                                                  "client_secret": "ps-demo-secret"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["access_token"]


def patch_record(s, oid, values):
    req = urllib.request.Request(s.emu.url + "/v3/groups/%d/objects/%s" % (EMPLOYEES, oid), method="PATCH",
                                 data=json.dumps(values).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + classic_token(s)})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def test_field_ownership():
    s = SETUP
    p = s.slapd.search("ou=people," + BASE, "(&(department=IT)(userAccountControl=512))", "uid", "mail")[0]
    sid = sid_of(s.slapd, p["uid"][0])
    s.slapd.modify("dn: %s\nchangetype: modify\ndelete: mail\n-\nreplace: givenName\ngivenName: Newgiven\n-\n"
                   "replace: department\ndepartment: Research\n" % p["dn"])
    r = s.sync()
    rec = by_sid(s.emu.employees())[sid][0]["data"]
    ok(rec.get("field_1") == "Newgiven", "overwrite: a changed first name is copied", rec)
    ok(rec.get("field_3") == p["mail"][0], "never blank: an empty AD mail leaves the email as it was", rec)
    ok(rec.get("field_4") == "IT", "fill if empty: Asset Panda's department is kept", rec)
    patch_record(s, by_sid(s.emu.employees())[sid][0]["id"], {"field_4": ""})
    # An edit made in Asset Panda is seen by the full reconciliation (daily
    # by default, or --full), not by the routine delta runs in between.
    r = s.sync("--full")
    rec = by_sid(s.emu.employees())[sid][0]["data"]
    ok(rec.get("field_4") == "Research" and counts(r, "Employees")[1] == 1,
       "fill if empty: once emptied in Asset Panda, the department is filled", (rec, counts(r, "Employees")))


def test_threshold():
    s = SETUP
    members = s.slapd.search(department_group("Engineering"), "(objectClass=*)", "member")[0]["member"]
    gone = members[:20]
    s.slapd.modify("dn: %s\nchangetype: modify\ndelete: member\n%s\n"
                   % (department_group("Engineering"), "\n".join("member: " + m for m in gone)))
    seq = s.emu.last_seq()
    r = s.sync()
    ok(r["_rc"] == 1 and mapping(r, "Employees").get("status") == "paused"
       and mapping(r, "Staff").get("status") == "paused" and not s.emu.writes_since(seq),
       "20 pending deactivations over the automatic limit pause both mappings and write nothing",
       (mapping(r, "Employees"), s.emu.writes_since(seq)[:3]))
    r = s.sync("--allow-deactivations")
    ok(r["_rc"] == 0 and counts(r, "Employees")[2] == 20 and counts(r, "Staff")[2] == 20,
       "an explicit allow for one run releases them", (counts(r, "Employees"), counts(r, "Staff")))
    s.slapd.modify("dn: %s\nchangetype: modify\nadd: member\n%s\n"
                   % (department_group("Engineering"), "\n".join("member: " + m for m in gone)))
    r = s.sync()
    ok(counts(r, "Employees")[3] == 20, "and they come back when re-added", counts(r, "Employees"))


def test_empty_and_failed_reads():
    s = SETUP
    # The group suddenly holds one person: a broken nesting, an OU moved away.
    one = s.slapd.search(department_group("IT"), "(objectClass=*)", "member")[0]["member"][0]
    s.slapd.modify("dn: cn=Everyone,ou=groups,%s\nchangetype: modify\nreplace: member\nmember: %s\n" % (BASE, one))
    seq = s.emu.last_seq()
    r = s.sync()
    deact = [c for c in s.emu.writes_since(seq)]
    ok(not deact and counts(r, "Employees")[2] == 0 and "no one is deactivated" in json.dumps(r),
       "a read of fewer than half the last count deactivates no one", (counts(r, "Employees"), deact[:3]))
    s.slapd.modify("dn: cn=Everyone,ou=groups,%s\nchangetype: modify\nreplace: member\n%s\n"
                   % (BASE, "\n".join("member: " + department_group(d) for d in
                                      ("Engineering", "Sales", "Support", "Finance", "People", "IT"))))
    # The directory goes away: nothing at all is written.
    s.slapd.stop()
    seq = s.emu.last_seq()
    r = s.sync()
    ok(r["_rc"] == 1 and mapping(r, "Employees").get("status") == "failed" and not s.emu.writes_since(seq),
       "with the directory unreachable both mappings fail and nothing is written",
       (r.get("raw"), mapping(r, "Employees")))
    ok("The directory cannot be read" in r.get("_stderr", "") and s.slapd.uri in r.get("_stderr", ""),
       "and the error names the directory as the cause", r.get("_stderr", "")[-800:])
    s.slapd.start()
    r = s.sync()
    ok(r["_rc"] == 0 and counts(r, "Employees")[:3] == (0, 0, 0),
       "once it is back, the next run finds nothing to do", counts(r, "Employees"))


def test_record_errors_isolated():
    s = SETUP
    # Two new starters share one email; Email is unique in Asset Panda.
    add_person(s, 920, "twin.one", "Twin", "One", "People")
    add_person(s, 921, "twin.two", "Twin", "Two", "People")
    add_person(s, 922, "solo.three", "Solo", "Three", "People")
    s.slapd.modify("dn: uid=twin.two,ou=people,%s\nchangetype: modify\nreplace: mail\nmail: twin.one@example.com\n" % BASE)
    r = s.sync()
    m = mapping(r, "Employees")
    ok(r["_rc"] == 1 and m.get("created") == 2 and m.get("failed") == 1,
       "a 422 for one record fails that record only; the others are created", (m, r.get("_stderr", "")[-1500:]))
    hist = subprocess.run([CLI, "history", "--run", str(r.get("run")), "--json", "--profile-file", s.profile],
                          capture_output=True, text=True, env=s.env)
    failed = [a for a in json.loads(hist.stdout or "[]") if a["action"] == "failed"]
    ok(failed and any("Two" in (a.get("name") or "") for a in failed) and failed[0].get("detail"),
       "the failure is in the history with its reason", failed)


def test_permission_stops_writes():
    s = SETUP
    for i, uid in enumerate(("perm.one", "perm.two", "perm.three")):
        add_person(s, 930 + i, uid, "Perm", "Person%d" % i, "IT")
    # Asset Panda withdraws the API client's user-management permission.
    s.emu.post("/_admin/faults", {"granular": {"ps-demo-client": False}})
    seq = s.emu.last_seq()
    r = s.sync()
    user_calls = [c for c in s.emu.calls() if c["seq"] > seq and c["path"].startswith("/v3/users")
                  and c["method"] != "GET"]
    staff = mapping(r, "Staff")
    ok(r["_rc"] == 1 and staff.get("status") == "failed" and len(user_calls) == 1
       and "permission" in (staff.get("message") or "").lower(),
       "a 403 stops the users mapping's writes at the first call, and says why",
       (staff, [(c["method"], c["status"]) for c in user_calls]))
    ok(counts(r, "Employees")[0] == 3, "the collection mapping goes on and creates its 3 records",
       counts(r, "Employees"))
    s.emu.post("/_admin/faults", {"granular": {"ps-demo-client": True}})
    r = s.sync()
    ok(mapping(r, "Staff").get("status") == "succeeded" and counts(r, "Staff")[0] == 3,
       "with the permission back, the users are created", mapping(r, "Staff"))


def test_leavers_report():
    s = SETUP
    p = s.slapd.search("ou=people," + BASE, "(&(department=Finance)(userAccountControl=512))", "uid", "mail")[1]
    sid = sid_of(s.slapd, p["uid"][0])
    person_id = by_sid(s.emu.employees())[sid][0]["id"]
    assets = [g for g in s.emu.state()["groups"] if g["id"] == 82676][0]["objects"]
    req = urllib.request.Request(s.emu.url + "/v3/groups/82676/objects/%s" % assets[0]["id"], method="PATCH",
                                 data=json.dumps({"field_5": person_id}).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + classic_token(s)})
    urllib.request.urlopen(req).read()
    s.slapd.modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n" % p["dn"])
    run = s.sync().get("run")
    r = subprocess.run([CLI, "report", "leavers", "--json", "--profile-file", s.profile],
                       capture_output=True, text=True, env=s.env)
    rows = json.loads(r.stdout or "[]")
    mine = [x for x in rows if x["person_id"] == person_id]
    ok(r.returncode == 0 and len(mine) == 1 and mine[0]["asset_id"] == assets[0]["id"]
       and mine[0]["email"] == p["mail"][0],
       "report leavers lists a person disabled in the directory who still holds an asset", (rows, r.stderr))
    ok(len(mine) == 1 and mine[0]["anchor"] == sid and mine[0]["run"] == run and mine[0]["deactivated_at"] > 0,
       "with their anchor and the run that marked them Inactive", (mine, run))
    r = subprocess.run([CLI, "report", "leavers", "--csv", "--profile-file", s.profile],
                       capture_output=True, text=True, env=s.env)
    lines = r.stdout.splitlines()
    row = [x for x in lines if '"%s"' % sid in x]
    ok(r.returncode == 0
       and lines[0] == '"person","email","anchor","collection","asset","asset id","field","mapping","run","time"'
       and len(row) == 1 and ('"%s","%s",' % (p["mail"][0], sid)) in row[0]
       and re.search(r',"%d","\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"$' % run, row[0]),
       "the CSV has the email, the anchor, the run and its time", (lines[:1], row, r.stderr))


def test_dangling_member():
    """A member value naming no entry makes the read partial, not shorter."""
    s = SETUP
    ghost = "uid=ghost.member,ou=people," + BASE
    # Someone leaves the group in the same change: a complete read would
    # deactivate them, a partial one must not.
    leaver = s.slapd.search("ou=people," + BASE, "(&(department=Sales)(userAccountControl=512))", "uid")[-1]["dn"]
    s.slapd.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n-\ndelete: member\nmember: %s\n"
                   % (department_group("Sales"), ghost, leaver))
    seq = s.emu.last_seq()
    r = s.sync()
    ok(r["_rc"] == 1 and mapping(r, "Employees").get("status") == "failed"
       and mapping(r, "Staff").get("status") == "failed" and counts(r, "Employees")[2] == 0
       and counts(r, "Staff")[2] == 0 and not s.emu.writes_since(seq),
       "a dangling member value fails both mappings and deactivates no one",
       (mapping(r, "Employees"), mapping(r, "Staff"), s.emu.writes_since(seq)[:3]))
    err = r.get("_stderr", "")
    ok("[warning] Employees: The member %s could not be read" % ghost in err
       and "1 member could not be read or classified" in err,
       "the log names the dangling DN and the count", err[-1500:])
    s.slapd.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n-\nadd: member\nmember: %s\n"
                   % (department_group("Sales"), ghost, leaver))
    r = s.sync()
    # (the twin with a duplicate email from an earlier case still fails alone)
    ok(mapping(r, "Staff").get("status") == "succeeded" and counts(r, "Employees")[:4] == (0, 0, 0, 0)
       and counts(r, "Staff")[:4] == (0, 0, 0, 0) and "could not be read" not in r.get("_stderr", ""),
       "with the value gone the next run reads everyone, and the person who came back was never gone",
       (mapping(r, "Staff"), counts(r, "Employees"), r.get("_stderr", "")[-800:]))


def test_kill_and_converge():
    """kill -9 at random points of a 2,000-person sync, then a clean run."""
    k = Setup(["--users", "2000"], "all-staff", "--latency-ms", "4")
    try:
        rng = random.Random(4242)
        kills = 0
        for _ in range(12):
            proc = subprocess.Popen([CLI, "sync", "--profile-file", k.profile], env=k.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.1, 1.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        r = k.sync()
        expected = enabled_people(k.slapd, ["cn=all-staff,ou=groups," + BASE])
        # Only this directory's people (the seed has a few from another domain).
        ours = "S-1-5-21-1111-2222-3333-"
        objects = [o for o in k.emu.employees() if (o.get("integ_ad_sid") or "").startswith(ours)]
        sids = by_sid(objects)
        dups = [s for s, v in sids.items() if len(v) > 1]
        users = [u for u in k.emu.users() if (u.get("integ_ad_sid") or "").startswith(ours)]
        user_dups = len(users) - len(set(u["integ_ad_sid"] for u in users))
        ok(kills >= 10, "the sync was killed with SIGKILL at %d random points" % kills)
        ok(r["_rc"] == 0, "the run after the kills succeeds", r.get("_stderr", "")[-1500:])
        ok(len(sids) == len(expected) and not dups,
           "exactly one record per enabled person (%d), no duplicates" % len(expected),
           (len(sids), len(expected), dups[:5]))
        ok(len(users) == len(expected) and user_dups == 0, "exactly one login user per person, no duplicates",
           (len(users), user_dups))
        seq = k.emu.last_seq()
        r = k.sync()
        ok(not k.emu.writes_since(seq), "and one more run writes nothing")
    finally:
        k.close()


def main():
    global SETUP
    skip_without("/usr/sbin/slapd", "ldapsearch", "ldapmodify")
    SETUP = Setup(["--demo"], "All Staff")
    try:
        for test in (test_full_sync, test_second_run_no_writes, test_delta, test_dry_run_equals_next_run,
                     test_rename_and_move, test_leavers_and_returners, test_field_ownership,
                     test_threshold, test_empty_and_failed_reads, test_record_errors_isolated,
                     test_permission_stops_writes, test_leavers_report, test_dangling_member):
            print("# " + test.__name__, flush=True)
            test()
    finally:
        SETUP.close()
    print("# test_kill_and_converge", flush=True)
    test_kill_and_converge()
    return finish()


SETUP = None
if __name__ == "__main__":
    sys.exit(main())
