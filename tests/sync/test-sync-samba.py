#!/usr/bin/python3
"""Delta syncs against a real Samba AD DC: after a full read, routine runs
read only the entries whose uSNChanged moved (plus the group's member DNs),
and still see changes, leavers and deletions. Runs inside
tests/directory/run-with-samba.sh (a private network namespace), which sets
the PS_TEST_SAMBA_* variables. Prints TAP.
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("sync_common", os.path.join(here, "test-sync.py"))
common = importlib.util.module_from_spec(spec)
spec.loader.exec_module(common)
ok, bail, Emulator, by_sid, counts, mapping = (common.ok, common.bail, common.Emulator, common.by_sid,
                                               common.counts, common.mapping)
CLI = common.CLI

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


class SambaSetup:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="pandasync-sync-samba-")
        self.emu = Emulator(self.tmp)
        self.profile = os.path.join(self.tmp, "samba.conf")
        creds = os.path.join(self.tmp, "credentials.ini")
        with open(creds, "w") as f:
            f.write("[Credentials]\nApiClientSecret=ps-demo-secret\nApiPassword=Panda-Admin-1\n"
                    "BindPassword=%s\n" % E["PS_TEST_SAMBA_PASSWORD"])
        os.chmod(creds, 0o600)
        with open(self.profile, "w") as f:
            f.write("""[Profile]
Id=samba
CredentialsFile={tmp}/credentials.ini
StateFile={tmp}/state.db

[AssetPanda]
URL={url}
ClientId=ps-demo-client
Email=admin@example.com
RateCalls=100000
RateWindow=1

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
""".format(tmp=self.tmp, url=self.emu.url, uri=LDAPS, ca=E["PS_TEST_SAMBA_CA_FILE"],
           bind=E["PS_TEST_SAMBA_BIND_DN"], base=BASE))
        self.env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.tmp, "config"),
                        XDG_STATE_HOME=os.path.join(self.tmp, "state"), HOME=self.tmp)

    def sync(self, *args):
        r = subprocess.run([CLI, "sync", "--json", "--profile-file", self.profile] + list(args),
                           capture_output=True, text=True, env=self.env, timeout=900)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = {"raw": r.stdout}
        out["_rc"], out["_stderr"] = r.returncode, r.stderr
        return out


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
    s.emu.stop()
    print("1..%d" % common._n, flush=True)
    return 1 if common._failed else 0


if __name__ == "__main__":
    sys.exit(main())
