#!/usr/bin/python3
"""Directories and tenants PandaSync did not set up, end to end: a real slapd
and the Asset Panda emulator on 127.0.0.1, driven through pandasync-cli.

- A collection pre-filled as Asset Panda's Windows integration leaves it
  (anchored Active records for people in scope, out of scope, disabled and
  deleted, a record marked None, another domain's records) ends exactly
  right after one run, in both dialects, and a rerun writes nothing.
- Two profiles for two domains feed one collection without touching each
  other's records.
- Attribute fallbacks (Email=mail|userPrincipalName), attributes the
  directory does not know, scope filters and search bases.

Prints TAP. Needs PANDASYNC_CLI, PANDASYNC_EMULATOR, PANDASYNC_SOURCE_ROOT.
"""
import base64
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synctest  # noqa: E402
from synctest import (ACTIVE, BASE, DEMO_SEED, EMPLOYEES, INACTIVE, NONE, STATUS_FIELD,  # noqa: E402
                      PRO_ACCOUNT, PRO_EMPLOYEES, PRO_MODULE, Env as BaseEnv, asset_panda_section, ok)

DOMAIN_A = "S-1-5-21-1111-2222-3333"
DOMAIN_B = "S-1-5-21-4444-5555-6666"
PRO_COL = PRO_EMPLOYEES + "_%s"
PRO_SID_COL = PRO_COL % "6_employeeid_text"
PRO_STATUS_COL = PRO_COL % "7_integrationstatusad_singleselect"
PRO_OPTIONS = {"Active": "01HWQ2Q50KP45XRDKREZS647QV", "Inactive": "01HWQTW4CKYV7AQAB9MZNG0A0K",
               "None": "01HWQ77ZY4FTJPEB03MXKWWS9G"}


# ------------------------------------------------------------------ helpers

def sid_text(b64):
    raw = base64.b64decode(b64)
    n = raw[1]
    auth = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack("<%dI" % n, raw[8:8 + 4 * n])
    return "S-%d-%d-%s" % (raw[0], auth, "-".join(str(s) for s in subs))


def sid_bytes_b64(domain, rid):
    subs = [int(x) for x in domain.split("-")[3:]] + [rid]
    raw = bytes([1, len(subs)]) + (5).to_bytes(6, "big") + b"".join(struct.pack("<I", s) for s in subs)
    return base64.b64encode(raw).decode()


class Env(BaseEnv):
    """A slapd with the demo organisation and an emulator seeded with @seed."""

    def __init__(self, seed=None):
        super().__init__("pandasync-adopt-")
        self.slapd = self.start_slapd(["--demo"])
        self.emu = self.start_emulator(seed=seed)
        password = self.slapd.env["PS_TEST_LDAP_PASSWORD"]
        self.credentials("credentials.ini", {"ApiClientSecret": "ps-demo-secret",
                                             "ApiPassword": "Panda-Admin-1", "BindPassword": password})
        self.credentials("pro-credentials.ini", {"ApiClientSecret": "aks-demo-secret-0001",
                                                 "BindPassword": password})

    def people(self, filt="(objectClass=inetOrgPerson)"):
        return self.slapd.search("ou=people," + BASE, filt, "uid", "objectSid", "department",
                                 "userAccountControl", "accountExpires", "mail", "givenName")

    def profile(self, name, mappings, dialect="classic"):
        creds = os.path.join(self.tmp, "credentials.ini" if dialect == "classic" else "pro-credentials.ini")
        return self.write_profile_file(os.path.join(self.tmp, name + ".conf"), name, creds, "%s\n%s\n%s" % (
            asset_panda_section(self.emu.url, dialect), self.slapd.directory_section(), mappings))


def counts(result, name):
    return synctest.counts(result, name)


def enabled(e):
    uac = int(e.get("userAccountControl", ["512"])[0])
    exp = int(e.get("accountExpires", ["0"])[0])
    expired = exp not in (0, 9223372036854775807) and exp < 134000000000000000
    return not (uac & 2) and not expired


def collection_mapping(name, group, extra=""):
    return """[CollectionMapping {name}]
Account=21040
Collection=82677
Group={group}
GroupName={group}
UniqueIdentifier=objectSid
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=sn;overwrite
Field.Email=mail;never-blank
Field.Department=department;fill-empty
{extra}
""".format(name=name, group=group, extra=extra)


def pro_collection_mapping(name, group, extra=""):
    return """[CollectionMapping {name}]
Account={account}
Module={module}
Collection={collection}
Group={group}
GroupName={group}
UniqueIdentifier=objectSid
UniqueField=Employee ID
StatusField=Integration Status AD
Field.First Name=givenName;overwrite
Field.Last Name=sn;overwrite
Field.Department=department;fill-empty
{extra}
""".format(name=name, group=group, account=PRO_ACCOUNT, module=PRO_MODULE, collection=PRO_EMPLOYEES,
           extra=extra)


def classic_records(env):
    g = [g for g in env.emu.get("/_admin/state")["classic"]["groups"] if g["id"] == EMPLOYEES][0]
    out = {}
    for o in g["objects"]:
        v = o["data"].get(STATUS_FIELD)
        status = v.get("id") if isinstance(v, dict) else (int(v) if v not in (None, "") else None)
        out.setdefault(o.get("integ_ad_sid"), []).append(
            {"id": o["id"], "status": {ACTIVE: "Active", INACTIVE: "Inactive", NONE: "None"}.get(status),
             "first": o["data"].get("field_1")})
    return out


def pro_records(env):
    st = env.emu.get("/_admin/state")["pro"]
    col = [c for a in st["accounts"] if a["id"] == PRO_ACCOUNT for m in a["modules"]
           for c in m["collections"] if c["id"] == PRO_EMPLOYEES][0]
    names = {v: k for k, v in PRO_OPTIONS.items()}
    out = {}
    for r in col.get("records", []):
        out.setdefault(r.get(PRO_SID_COL), []).append(
            {"id": r["id"], "status": names.get(r.get(PRO_STATUS_COL)), "first": r.get(PRO_COL % "0_firstname_text")})
    return out


def writes_since(env, seq):
    return [c for c in env.emu.calls() if c["seq"] > seq and c["method"] in ("POST", "PUT", "PATCH", "DELETE")
            and "search" not in c["path"] and "/session/token" not in c["path"]]


def deletes(env):
    return [c for c in env.emu.calls() if c["method"] == "DELETE"]


# ------------------------------------------------------------------ the Windows integration's leftovers

def test_takeover(dialect):
    print("# takeover, %s" % dialect, flush=True)
    # Read the directory first (a throw-away slapd with the same demo data).
    probe = Env()
    people = probe.people()
    probe.close()
    members = [p for p in people if p.get("department", [""])[0] in
               ("Engineering", "Sales", "Support", "Finance", "People", "IT")]
    by_uid = {p["uid"][0]: p for p in members}
    live = [p for p in members if enabled(p)]
    in_scope = live[0]            # linked and updated
    inactive_back = live[1]       # Inactive in Asset Panda, enabled here: reactivated
    out_of_scope = live[2]        # removed from its department group before the run
    to_disable = live[3]          # disabled before the run
    marked_none = live[4]         # out of scope too, but marked None: never touched
    sid = {p["uid"][0]: sid_text(p["objectSid"][0]) for p in members}
    deleted_sid = "%s-%d" % (DOMAIN_A, 777777)
    other_sid = "%s-%d" % (DOMAIN_B, 1201)

    leftovers = [  # (sid, status, first name)
        (sid[in_scope["uid"][0]], "Active", "Stale"),
        (sid[inactive_back["uid"][0]], "Inactive", in_scope["givenName"][0]),
        (sid[out_of_scope["uid"][0]], "Active", "Out"),
        (sid[to_disable["uid"][0]], "Active", "Disabled"),
        (sid[marked_none["uid"][0]], "None", "Kept"),
        (deleted_sid, "Active", "Deleted"),
        (other_sid, "Active", "Other forest"),
    ]
    with open(DEMO_SEED) as f:
        seed = json.load(f)
    if dialect == "classic":
        g = [g for g in seed["classic"]["groups"] if g["id"] == EMPLOYEES][0]
        codes = {"Active": ACTIVE, "Inactive": INACTIVE, "None": NONE}
        for n, (s, status, first) in enumerate(leftovers):
            g["objects"].append({"id": "winint%018d" % n, "integ_ad_sid": s, "is_archived": False,
                                 "data": {"field_1": first, "field_2": "Left", "field_8": codes[status]},
                                 "created_at": "2024-01-01T00:00:00.000000Z",
                                 "updated_at": "2024-01-01T00:00:00.000000Z"})
    else:
        col = [c for a in seed["pro"]["accounts"] for m in a["modules"] for c in m["collections"]
               if c["id"] == PRO_EMPLOYEES][0]
        for n, (s, status, first) in enumerate(leftovers):
            col["records"].append({"id": "01WININT%018d" % n, PRO_COL % "0_firstname_text": first,
                                   PRO_COL % "1_lastname_text": "Left", PRO_SID_COL: s,
                                   PRO_STATUS_COL: PRO_OPTIONS[status],
                                   "createdAt": "2024-01-01T00:00:00.000000Z",
                                   "updatedAt": "2024-01-01T00:00:00.000000Z"})
    env = Env(seed)
    try:
        records = classic_records if dialect == "classic" else pro_records
        before = records(env)
        dn_out = out_of_scope["dn"]
        dept_out = out_of_scope["department"][0]
        env.slapd.modify("dn: cn=%s,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: %s\n"
                         % (dept_out, BASE, dn_out))
        dept_none = marked_none["department"][0]
        env.slapd.modify("dn: cn=%s,ou=groups,%s\nchangetype: modify\ndelete: member\nmember: %s\n"
                         % (dept_none, BASE, marked_none["dn"]))
        env.slapd.modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n"
                         % to_disable["dn"])
        mapping = (collection_mapping if dialect == "classic" else pro_collection_mapping)("Employees", "All Staff")
        profile = env.profile("takeover-" + dialect, mapping, dialect)

        # The preview says what it takes over, and writes nothing.
        plan_path = os.path.join(env.tmp, "plan.json")
        seq = env.emu.last_seq()
        r = env.sync(profile, "--dry-run", "--plan-out", plan_path)
        ok(r["_rc"] == 0 and not writes_since(env, seq), "%s: the preview succeeds and writes nothing" % dialect,
           r.get("_stderr", "")[-1500:])
        with open(plan_path) as f:
            plan = json.load(f)
        actions = [a for m in plan["mappings"] for a in m["actions"]]
        reasons = {a.get("target_id"): a.get("reason") or "" for a in actions}
        ids = {s: [x["id"] for x in v] for s, v in before.items()}
        took = [s for s, _, _ in leftovers[:4] + leftovers[5:6]
                if "taken over (carries this domain’s SID)" in reasons.get(ids[s][0], "")]
        ok(len(took) == 5, "%s: the plan says “taken over (carries this domain’s SID)” for the five "
           "records of this domain it manages" % dialect, (took, reasons))
        ok(ids[other_sid][0] not in reasons and ids[sid[marked_none["uid"][0]]][0] not in reasons,
           "%s: the other domain's record and the None record are not in the plan" % dialect)

        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] == 0, "%s: the first real run succeeds" % dialect, r.get("_stderr", "")[-2000:])
        after = records(env)
        expect_active = [sid[p["uid"][0]] for p in live if p is not out_of_scope and p is not to_disable
                         and p is not marked_none]
        wrong = [s for s in expect_active if len(after.get(s, [])) != 1 or after[s][0]["status"] != "Active"]
        ok(not wrong, "%s: every enabled member has exactly one Active record (%d)" % (dialect, len(expect_active)),
           wrong[:10])
        ok(after[sid[in_scope["uid"][0]]][0]["id"] == ids[sid[in_scope["uid"][0]]][0]
           and after[sid[in_scope["uid"][0]]][0]["first"] == in_scope["givenName"][0],
           "%s: the in-scope record is taken over and updated, not duplicated" % dialect,
           after.get(sid[in_scope["uid"][0]]))
        ok(after[sid[inactive_back["uid"][0]]][0]["id"] == ids[sid[inactive_back["uid"][0]]][0]
           and after[sid[inactive_back["uid"][0]]][0]["status"] == "Active",
           "%s: an Inactive record of an enabled member is reactivated" % dialect)
        for who, s in (("out of scope", sid[out_of_scope["uid"][0]]), ("disabled", sid[to_disable["uid"][0]]),
                       ("deleted", deleted_sid)):
            ok(len(after[s]) == 1 and after[s][0]["status"] == "Inactive",
               "%s: the %s person's record becomes Inactive" % (dialect, who), after.get(s))
        ok(after[sid[marked_none["uid"][0]]][0]["status"] == "None"
           and after[sid[marked_none["uid"][0]]][0]["first"] == "Kept",
           "%s: the record marked None is left alone" % dialect)
        ok(after[other_sid][0]["status"] == "Active" and after[other_sid][0]["first"] == "Other forest",
           "%s: another domain's record is never touched" % dialect)
        seeded_other = [s for s in before if s and s.startswith("S-1-5-21-1004336348")]
        ok(all(after[s] == before[s] for s in seeded_other),
           "%s: the tenant's other records are unchanged (%d)" % (dialect, len(seeded_other)))
        ok(counts(r, "Employees")[2] == 3, "%s: three deactivations in the summary" % dialect, counts(r, "Employees"))
        ok(not deletes(env), "%s: nothing is deleted" % dialect)

        seq = env.emu.last_seq()
        r = env.sync(profile, "--full")
        ok(r["_rc"] == 0 and not writes_since(env, seq), "%s: a full rerun writes nothing" % dialect,
           (counts(r, "Employees"), writes_since(env, seq)[:5]))

        # A lost state file: the same records are taken over again, nothing is created.
        os.unlink(os.path.join(env.tmp, "takeover-%s.db" % dialect))
        seq = env.emu.last_seq()
        r = env.sync(profile)
        ok(r["_rc"] == 0 and counts(r, "Employees")[0] == 0 and counts(r, "Employees")[2] == 0
           and not writes_since(env, seq),
           "%s: after the state file is lost, a run creates and deactivates nothing" % dialect,
           (counts(r, "Employees"), writes_since(env, seq)[:5], r.get("_stderr", "")[-800:]))
    finally:
        env.close()


# ------------------------------------------------------------------ two domains, one collection

def add_contractors(env, n):
    ldif = ["dn: ou=contractors,%s\nchangetype: add\nobjectClass: organizationalUnit\nou: contractors\n" % BASE]
    members = []
    for i in range(n):
        uid = "contractor%d" % i
        dn = "uid=%s,ou=contractors,%s" % (uid, BASE)
        guid = struct.pack("<I", 70000 + i) + bytes([0x44]) * 12
        ldif.append("""dn: {dn}
changetype: add
objectClass: inetOrgPerson
objectClass: adLikeAccount
uid: {uid}
cn: Con Tractor{i}
givenName: Con
sn: Tractor{i}
mail: {uid}@partner.example
sAMAccountName: {uid}
userAccountControl: 512
objectGUID:: {guid}
objectSid:: {sid}
""".format(dn=dn, uid=uid, i=i, guid=base64.b64encode(guid).decode(), sid=sid_bytes_b64(DOMAIN_B, 2000 + i)))
        members.append(dn)
    ldif.append("dn: cn=Contractors,ou=groups,%s\nchangetype: add\nobjectClass: groupOfNames\n"
                "objectClass: adLikeAccount\ncn: Contractors\nobjectSid:: %s\n%s\n"
                % (BASE, sid_bytes_b64(DOMAIN_B, 513), "\n".join("member: " + m for m in members)))
    env.slapd.modify("\n".join(ldif))


def test_two_domains():
    print("# two domains into one collection", flush=True)
    env = Env()
    try:
        add_contractors(env, 6)
        staff = env.profile("domain-a", collection_mapping("Employees", "All Staff"))
        partners = env.profile("domain-b", collection_mapping("Employees", "Contractors"))
        r1 = env.sync(staff)
        r2 = env.sync(partners)
        ok(r1["_rc"] == 0 and r2["_rc"] == 0 and counts(r2, "Employees")[0] == 6,
           "each profile creates its own people", (counts(r1, "Employees"), counts(r2, "Employees"),
                                                  r1.get("_stderr", "")[-600:], r2.get("_stderr", "")[-600:]))
        for name, profile in (("domain A", staff), ("domain B", partners)):
            seq = env.emu.last_seq()
            r = env.sync(profile, "--full")
            ok(r["_rc"] == 0 and counts(r, "Employees")[2] == 0 and not writes_since(env, seq),
               "a full run of %s leaves the other domain's records alone" % name,
               (counts(r, "Employees"), writes_since(env, seq)[:3]))
        recs = classic_records(env)
        b = [s for s in recs if s and s.startswith(DOMAIN_B)]
        ok(len(b) == 6 and all(recs[s][0]["status"] == "Active" for s in b),
           "the six contractors are Active in the shared collection")
        # A contractor leaves: only domain B's profile deactivates them.
        env.slapd.modify("dn: cn=Contractors,ou=groups,%s\nchangetype: modify\ndelete: member\n"
                         "member: uid=contractor0,ou=contractors,%s\n" % (BASE, BASE))
        r = env.sync(staff, "--full")
        ok(counts(r, "Employees")[2] == 0, "domain A's profile does not deactivate domain B's leaver")
        r = env.sync(partners)
        recs = classic_records(env)
        ok(counts(r, "Employees")[2] == 1 and recs["%s-2000" % DOMAIN_B][0]["status"] == "Inactive",
           "domain B's profile does", counts(r, "Employees"))
    finally:
        env.close()


# ------------------------------------------------------------------ fallbacks, unknown attributes, scope

def test_fallbacks_and_schema():
    print("# attribute fallbacks and unknown attributes", flush=True)
    env = Env()
    try:
        env.slapd.modify("""dn: uid=no.mail,ou=people,{base}
changetype: add
objectClass: inetOrgPerson
objectClass: adLikeAccount
uid: no.mail
cn: No Mail
givenName: No
sn: Mail
userPrincipalName: no.mail@corp.example
sAMAccountName: no.mail
userAccountControl: 512
objectGUID:: {guid}
objectSid:: {sid}

dn: cn=Finance,ou=groups,{base}
changetype: modify
add: member
member: uid=no.mail,ou=people,{base}
""".format(base=BASE, guid=base64.b64encode(struct.pack("<I", 80001) + bytes([0x55]) * 12).decode(),
           sid=sid_bytes_b64(DOMAIN_A, 80001)))
        users = """[UserMapping Finance]
Account=21040
Role=30135
Group=Finance
GroupName=Finance
Email=mail|userPrincipalName
"""
        profile = env.profile("fallbacks", users + collection_mapping(
            "Employees", "Finance", "Field.Employee ID=employeeNumber|sAMAccountName;overwrite"))
        r = env.sync(profile)
        state = env.emu.get("/_admin/state")["classic"]
        u = [x for x in state["users"] if x.get("email") == "no.mail@corp.example"]
        ok(r["_rc"] == 0 and len(u) == 1, "a person without mail gets a login user by userPrincipalName",
           (counts(r, "Finance"), r.get("_stderr", "")[-800:]))
        recs = [o for g in state["groups"] if g["id"] == EMPLOYEES for o in g["objects"]
                if o.get("integ_ad_sid") == "%s-80001" % DOMAIN_A]
        ok(len(recs) == 1 and recs[0]["data"].get("field_7") == "no.mail",
           "a field falls back to the second attribute when the first is empty", recs)

        # A name the schema does not know is a named error, and nothing is written.
        bad = env.profile("unknown-attr", collection_mapping("Employees", "Finance",
                                                             "Field.Title=titel;overwrite"))
        seq = env.emu.last_seq()
        r = env.sync(bad)
        msg = json.dumps(r) + r.get("_stderr", "")
        ok(r["_rc"] != 0 and "Field.Title" in msg and "“titel”" in msg and "schema" in msg
           and not writes_since(env, seq),
           "an attribute the directory's schema does not know fails the mapping by name", msg[-1500:])

        # A filter that does not parse never reaches the directory.
        broken = env.profile("bad-filter", collection_mapping("Employees", "Finance",
                                                              "Filter=(&(department=Finance)"))
        r = env.sync(broken)
        msg = r.get("_stderr", "")
        ok(r["_rc"] != 0 and "[CollectionMapping Employees] Filter" in msg and "character" in msg
           and not writes_since(env, seq), "a broken filter is a profile error naming the key", msg[-800:])
    finally:
        env.close()


def test_scope_filters():
    print("# scope: Filter and SearchBase", flush=True)
    env = Env()
    try:
        people = env.people()
        sales = [p for p in people if p.get("department", [""])[0] == "Sales" and enabled(p)]
        mapping = collection_mapping("Employees", "All Staff",
                                     "Filter=(department=Sales)\nSearchBase=ou=people,%s" % BASE)
        profile = env.profile("scope", mapping)
        r = env.sync(profile)
        recs = classic_records(env)
        mine = [s for s in recs if s and s.startswith(DOMAIN_A)]
        ok(r["_rc"] == 0 and len(mine) == len(sales) and counts(r, "Employees")[0] == len(sales),
           "Filter=(department=Sales) puts only the %d enabled Sales people in scope" % len(sales),
           (len(mine), counts(r, "Employees"), r.get("_stderr", "")[-800:]))
        # One leaves the filter, one leaves the search base.
        moved_dept, moved_ou = sales[0], sales[1]
        env.slapd.modify("dn: %s\nchangetype: modify\nreplace: department\ndepartment: Marketing\n" % moved_dept["dn"])
        env.slapd.modify("dn: ou=alumni,%s\nchangetype: add\nobjectClass: organizationalUnit\nou: alumni\n" % BASE)
        env.slapd.modify("dn: %s\nchangetype: modrdn\nnewrdn: uid=%s\ndeleteoldrdn: 1\nnewsuperior: ou=alumni,%s\n"
                         % (moved_ou["dn"], moved_ou["uid"][0], BASE))
        r = env.sync(profile, "--full")
        recs = classic_records(env)
        gone = [sid_text(p["objectSid"][0]) for p in (moved_dept, moved_ou)]
        ok(counts(r, "Employees")[2] == 2 and all(recs[s][0]["status"] == "Inactive" for s in gone),
           "leaving the filter or the search base deactivates, like leaving the group",
           (counts(r, "Employees"), [recs[s] for s in gone]))
        seq = env.emu.last_seq()
        r = env.sync(profile, "--full")
        ok(r["_rc"] == 0 and not writes_since(env, seq), "and the next run writes nothing")

        # The CLI counts a scope before it is saved, as the wizard does.
        c = env.cli(profile, "directory", "scope", "--mapping", "Employees", "--json")
        got = json.loads(c.stdout) if c.returncode == 0 else {}
        ok(got.get("in_scope") == len(sales) - 2 and got.get("members") == 320,
           "directory scope counts the people the mapping covers", (c.stdout, c.stderr))
        c = env.cli(profile, "directory", "scope", "--mapping", "Employees", "--json",
                    "--filter", "(|(department=Sales)(department=Finance))", "--search-base", "")
        finance = [p for p in people if p.get("department", [""])[0] == "Finance"]
        got = json.loads(c.stdout) if c.returncode == 0 else {}
        ok(got.get("in_scope") == len(sales) - 1 + len(finance),
           "and tries another filter and search base without saving them", (c.stdout, c.stderr))
        c = env.cli(profile, "directory", "scope", "--mapping", "Employees",
                    "--search-base", "ou=nowhere,%s" % BASE)
        ok(c.returncode != 0 and "search base ou=nowhere" in c.stderr,
           "a search base that does not exist is an error, never an empty scope", c.stderr)
    finally:
        env.close()


def main():
    synctest.skip_without("/usr/sbin/slapd", "ldapsearch", "ldapmodify")
    test_takeover("classic")
    test_takeover("pro")
    test_two_domains()
    test_fallbacks_and_schema()
    test_scope_filters()
    return synctest.finish()


if __name__ == "__main__":
    sys.exit(main())
