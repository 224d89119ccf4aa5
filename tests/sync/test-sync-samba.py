#!/usr/bin/python3
"""Delta syncs against a real Samba AD DC: after a full read, routine runs
read only the entries whose uSNChanged moved (plus the group's member DNs),
and still see changes, leavers and deletions. Runs inside
tests/directory/run-with-samba.sh (a private network namespace), which sets
the PS_TEST_SAMBA_* variables. Prints TAP.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synctest  # noqa: E402
from synctest import Env, asset_panda_section, bail, by_sid, counts, ok  # noqa: E402

E = os.environ
BASE = E["PS_TEST_SAMBA_BASE"]
OU = E["PS_TEST_SAMBA_OU"]
USERS = int(E["PS_TEST_SAMBA_USERS"])
LDAPS = E["PS_TEST_SAMBA_LDAPS_URI"]
ADMIN = ["-x", "-H", LDAPS, "-D", E["PS_TEST_SAMBA_ADMIN_DN"], "-w", E["PS_TEST_SAMBA_ADMIN_PASSWORD"]]
TLS_ENV = dict(os.environ, LDAPTLS_CACERT=E["PS_TEST_SAMBA_CA_FILE"])


def modify(ldif):
    r = subprocess.run(["ldapmodify"] + ADMIN, input=ldif, text=True, capture_output=True, env=TLS_ENV)
    if r.returncode != 0:
        bail("ldapmodify failed: %s\n%s" % (r.stderr, ldif))


def bulk_dn(i):
    return "CN=bulk%04d,%s" % (i, OU)


class SambaSetup(Env):
    def __init__(self):
        super().__init__("pandasync-sync-samba-")
        self.timeout = 900
        del self.env["LC_ALL"]
        self.emu = self.start_emulator()
        self.profile = os.path.join(self.tmp, "samba.conf")
        creds = self.credentials("credentials.ini", dict(synctest.asset_panda_secrets(),
                                                         BindPassword=E["PS_TEST_SAMBA_PASSWORD"]))
        self.write_profile_file(self.profile, "samba", creds, """{target}
[Directory]
URIs={uri}
TLS=ldaps
CAFile={ca}
BindDN={bind}
BaseDN={base}

[UserMapping Engineers]
Account=21040
Role=30135
Group=Eng

[CollectionMapping Everyone]
Account=21040
Collection=82677
Group=Big Group
UniqueIdentifier=objectSid
StatusField=Integration Status AD
Field.field_1=givenName;overwrite
Field.field_2=sn;overwrite
Field.field_3=mail;never-blank
""".format(target=asset_panda_section(self.emu.url, "auto"), uri=LDAPS, ca=E["PS_TEST_SAMBA_CA_FILE"],
           bind=E["PS_TEST_SAMBA_BIND_DN"], base=BASE), state=os.path.join(self.tmp, "state.db"))

    def sync(self, *args):
        return Env.sync(self, self.profile, *args)


def changed_line(result, name):
    m = re.search(name + r": Read (\d+) changed and (\d+) newly added people", result["_stderr"])
    return (int(m.group(1)), int(m.group(2))) if m else None


def main():
    s = SambaSetup()
    enabled = USERS - USERS // 100          # every 100th bulk user is disabled (546)
    r = s.sync()
    ok(r["_rc"] == 0 and counts(r, "Everyone")[0] == enabled,
       "a full sync from Samba creates one record per enabled member of Big Group (%d of %d, "
       "read with range retrieval)" % (enabled, USERS), (counts(r, "Everyone"), r["_stderr"][-1500:]))
    ok(counts(r, "Engineers")[0] == 35,
       "the nested Eng group (with a cycle) gives 35 users", counts(r, "Engineers"))

    seq = s.emu.last_seq()
    r = s.sync()
    ok(r["_rc"] == 0 and changed_line(r, "Everyone") == (0, 0) and not s.emu.writes_since(seq),
       "a routine run reads no user entries (nothing's uSNChanged moved) and writes nothing",
       (changed_line(r, "Everyone"), r["_stderr"][-1200:]))

    # Two surnames change, one account is disabled, one person leaves the group.
    modify("dn: %s\nchangetype: modify\nreplace: sn\nsn: Delta-One\n\n"
           "dn: %s\nchangetype: modify\nreplace: sn\nsn: Delta-Two\n\n"
           "dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 546\n\n"
           "dn: CN=Big Group,%s\nchangetype: modify\ndelete: member\nmember: %s\n"
           % (bulk_dn(101), bulk_dn(102), bulk_dn(103), OU, bulk_dn(104)))
    r = s.sync()
    ok(changed_line(r, "Everyone") == (3, 0),
       "the next run reads exactly the 3 changed entries", (changed_line(r, "Everyone"), r["_stderr"][-1500:]))
    ok(counts(r, "Everyone")[1] == 2 and counts(r, "Everyone")[2] == 2,
       "and updates 2 records and deactivates 2 (disabled, left the group)", counts(r, "Everyone"))
    sids = by_sid(s.emu.employees())
    names = sorted(v[0]["data"].get("field_2") for v in sids.values() if v and
                   (v[0]["data"].get("field_2") or "").startswith("Delta-"))
    ok(names == ["Delta-One", "Delta-Two"], "the new surnames are in Asset Panda", names)

    # A deletion: AD drops the member value, the run sees the person gone.
    r = subprocess.run(["ldapdelete"] + ADMIN + [bulk_dn(105)], capture_output=True, text=True, env=TLS_ENV)
    r = s.sync()
    ok(changed_line(r, "Everyone") == (0, 0) and counts(r, "Everyone")[2] == 1,
       "a deleted account is deactivated without reading any entry", (changed_line(r, "Everyone"),
                                                                      counts(r, "Everyone")))

    # Back in the group: read as newly added, reactivated on the same record.
    modify("dn: CN=Big Group,%s\nchangetype: modify\nadd: member\nmember: %s\n" % (OU, bulk_dn(104)))
    r = s.sync()
    ok(changed_line(r, "Everyone") == (0, 1) and counts(r, "Everyone")[3] == 1
       and counts(r, "Everyone")[0] == 0,
       "re-added to the group: read as newly added and reactivated, not created again",
       (changed_line(r, "Everyone"), counts(r, "Everyone")))

    seq = s.emu.last_seq()
    r = s.sync("--full")
    ok(r["_rc"] == 0 and changed_line(r, "Everyone") is None and not s.emu.writes_since(seq),
       "--full reads everything and agrees that nothing is left to write", r["_stderr"][-800:])
    s.close()
    return synctest.finish()


if __name__ == "__main__":
    sys.exit(main())
