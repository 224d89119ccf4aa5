#!/usr/bin/python3
"""gen-ldif.py MODE [N] — LDIF for the test and demo slapd instances.

MODE fixture N  the integration fixture: N users (default 5000) under
                ou=people, groups with nesting (and a cycle), disabled and
                expired accounts, non-ASCII names, and names and values with
                , + \\ # " * ( ).
MODE demo       a sample organisation of a few hundred people.
MODE bench N    N AD-shaped users, all in cn=all-staff.
MODE adlike     groups whose members are what AD puts in groups, in AD's
                own classes (see adlike() below): users, a computer, a
                contact, a foreign security principal, a nested
                objectClass=group group, a dangling member, a member the
                service account may not read and one of no known class.

The rules below are the single source of truth for what the tests expect:
  user i (1..N) is uid=userNNNNN, objectSid S-1-5-21-1111-2222-3333-(1000+i),
  objectGUID bytes = i (4 bytes little-endian) + 0x11 * 12, uSNChanged = i;
  i % 100 == 0  -> disabled, userAccountControl 514 / 546 / 66050 in turn;
  i % 100 == 50 -> accountExpires in 2020 (expired, so not enabled);
  i % 100 == 51 -> accountExpires in 2100 (enabled).
  user00002 has a jpegPhoto that is not UTF-8 text.
  engineering = users 1..300 + platform; platform = 301..350 + sre;
  sre = 351..360 + engineering (a cycle).
"""
import base64
import struct
import sys

BASE = "dc=example,dc=com"
DOMAIN_SID = (1111, 2222, 3333)
FT_2020 = 132223104000000000
FT_2100 = 157766880000000000


def sid_bytes(rid):
    subs = DOMAIN_SID + (rid,)
    subs = (21,) + subs
    return bytes([1, len(subs)]) + (5).to_bytes(6, "big") + b"".join(struct.pack("<I", s) for s in subs)


def guid_bytes(i, tag=0x11):
    return struct.pack("<I", i) + bytes([tag]) * 12


def b64(data):
    return base64.b64encode(data).decode()


def dn_escape(value):
    out = []
    for n, ch in enumerate(value):
        if ch in ',+"\\<>;=' or (n == 0 and ch in "# ") or (n == len(value) - 1 and ch == " "):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def attr(name, value):
    if isinstance(value, bytes):
        return "%s:: %s\n" % (name, b64(value))
    text = str(value)
    safe = text.isascii() and not text.startswith((" ", ":", "<")) and not text.endswith(" ")
    if safe:
        return "%s: %s\n" % (name, text)
    return "%s:: %s\n" % (name, b64(text.encode()))


def entry(dn, attrs):
    out = [attr("dn", dn)]
    for name, value in attrs:
        out.append(attr(name, value))
    return "".join(out) + "\n"


def base_entries(w):
    w(entry(BASE, [("objectClass", "dcObject"), ("objectClass", "organization"), ("dc", "example"), ("o", "Example")]))
    for ou in ("people", "groups", "service"):
        w(entry("ou=%s,%s" % (ou, BASE), [("objectClass", "organizationalUnit"), ("ou", ou)]))
    w(entry("uid=svc-pandasync,ou=service," + BASE, [
        ("objectClass", "account"), ("objectClass", "simpleSecurityObject"),
        ("uid", "svc-pandasync"), ("userPassword", "Svc-Passw0rd!")]))
    # the same, but slapd stops its paged searches after 2,000 entries in all
    w(entry("uid=svc-limited,ou=service," + BASE, [
        ("objectClass", "account"), ("objectClass", "simpleSecurityObject"),
        ("uid", "svc-limited"), ("userPassword", "Svc-Passw0rd!")]))


def user_attrs(i, uid, cn, given, sn, member_of, department=None):
    attrs = [("objectClass", "inetOrgPerson"), ("objectClass", "adLikeAccount"),
             ("uid", uid), ("cn", cn), ("sn", sn), ("givenName", given),
             ("mail", "%s@example.com" % uid), ("sAMAccountName", uid),
             ("userPrincipalName", "%s@example.com" % uid),
             ("objectGUID", guid_bytes(i)), ("objectSid", sid_bytes(1000 + i)),
             ("uSNChanged", i), ("uSNCreated", i), ("whenChanged", "20260101000000Z"),
             ("employeeNumber", i)]
    if department:
        attrs.append(("department", department))
    if i % 100 == 0:
        attrs.append(("userAccountControl", (514, 546, 66050)[(i // 100) % 3]))
    else:
        attrs.append(("userAccountControl", 512))
    if i % 100 == 50:
        attrs.append(("accountExpires", FT_2020))
    elif i % 100 == 51:
        attrs.append(("accountExpires", FT_2100))
    else:
        attrs.append(("accountExpires", (0, 9223372036854775807)[i % 2]))
    for g in member_of:
        attrs.append(("memberOf", g))
    return attrs


def group(w, cn, n, members, member_of=()):
    dn = "cn=%s,ou=groups,%s" % (dn_escape(cn), BASE)
    attrs = [("objectClass", "groupOfNames"), ("objectClass", "adLikeAccount"), ("cn", cn),
             ("sAMAccountName", cn), ("objectGUID", guid_bytes(n, 0x22)),
             ("objectSid", sid_bytes(500000 + n)), ("groupType", -2147483646),
             ("description", "Group %s" % cn)]
    attrs += [("member", m) for m in members]
    attrs += [("memberOf", g) for g in member_of]
    w(entry(dn, attrs))
    return dn


def gdn(cn):
    return "cn=%s,ou=groups,%s" % (dn_escape(cn), BASE)


def udn(uid):
    return "uid=%s,ou=people,%s" % (uid, BASE)


def fixture(w, n):
    base_entries(w)
    special = [
        (n + 1, "zoe", "Zoë Ångström", "Zoë", "Ångström"),
        (n + 2, "yamada", "山田 太郎", "太郎", "山田"),
        (n + 3, "smith(*)", 'Smith, John + "Jr" #1 (*) \\ x', "John", 'Smith, + "Jr" (*) \\'),
    ]
    rd = 'R&D, Ops + "Lab" #1 (*) \\'
    for i in range(1, n + 1):
        groups = [gdn("all-staff")]
        if i <= 300:
            groups.append(gdn("engineering"))
        elif i <= 350:
            groups.append(gdn("platform"))
        elif i <= 360:
            groups.append(gdn("sre"))
        uid = "user%05d" % i
        attrs = user_attrs(i, uid, "Test User %05d" % i, "Test", "User%05d" % i, groups)
        if i == 2:
            attrs.append(("jpegPhoto", b"\xff\xd8\xff\xe0 not text"))   # bytes that are not UTF-8
        w(entry(udn(uid), attrs))
    for i, uid, cn, given, sn in special:
        dn = "cn=%s,ou=people,%s" % (dn_escape(cn), BASE)
        attrs = user_attrs(i, uid, cn, given, sn, [gdn(rd)])
        w(entry(dn, attrs))
    group(w, "all-staff", 1, [udn("user%05d" % i) for i in range(1, n + 1)])
    group(w, "engineering", 2, [udn("user%05d" % i) for i in range(1, 301)] + [gdn("platform")], [gdn("sre")])
    group(w, "platform", 3, [udn("user%05d" % i) for i in range(301, 351)] + [gdn("sre")], [gdn("engineering")])
    group(w, "sre", 4, [udn("user%05d" % i) for i in range(351, 361)] + [gdn("engineering")], [gdn("platform")])
    group(w, rd, 5, ["cn=%s,ou=people,%s" % (dn_escape(s[2]), BASE) for s in special])


FIRST = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances", "Edsger",
         "Radia", "Tim", "Sophie", "Donald", "Hedy", "John", "Katherine", "Niklaus", "Anita", "Guido",
         "Zoë", "José", "Björn", "Ingrid", "Łukasz"]
LAST = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson", "Allen",
        "Dijkstra", "Perlman", "Berners-Lee", "Wilson", "Knuth", "Lamarr", "McCarthy", "Johnson", "Wirth",
        "Borg", "van Rossum", "Núñez", "Ångström", "Müller"]
DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "People", "IT"]


def demo(w):
    """320 people in six departments, all nested in "All Staff"; "Laptop
    Users" holds 40 engineers and the IT group. The i % 100 rules above make a
    few accounts disabled or expired."""
    base_entries(w)
    people = 320
    dept_members = {d: [] for d in DEPARTMENTS}
    users = []
    for i in range(1, people + 1):
        given = FIRST[i % len(FIRST)]
        sn = LAST[(i * 7) % len(LAST)]
        uid = "%s.%s%d" % (given.lower(), sn.lower().replace(" ", ""), i)
        uid = uid.encode("ascii", "ignore").decode()
        dept = DEPARTMENTS[i % len(DEPARTMENTS)]
        dept_members[dept].append(udn(uid))
        users.append((i, uid, given, sn, dept))
    laptop = dept_members["Engineering"][:40]
    for i, uid, given, sn, dept in users:
        groups = [gdn(dept)] + ([gdn("Laptop Users")] if udn(uid) in laptop else [])
        w(entry(udn(uid), user_attrs(i, uid, "%s %s" % (given, sn), given, sn, groups, dept)))
    for n, d in enumerate(DEPARTMENTS, start=10):
        group(w, d, n, dept_members[d], [gdn("All Staff")] + ([gdn("Laptop Users")] if d == "IT" else []))
    group(w, "All Staff", 1, [gdn(d) for d in DEPARTMENTS])
    group(w, "Laptop Users", 2, laptop + [gdn("IT")])


def bench(w, n):
    base_entries(w)
    for i in range(1, n + 1):
        uid = "user%06d" % i
        w(entry(udn(uid), user_attrs(i, uid, "Bench User %06d" % i, "Bench", "User%06d" % i, [gdn("all-staff")])))
    group(w, "all-staff", 1, [udn("user%06d" % i) for i in range(1, n + 1)])


def adlike(w):
    """AD-shaped memberships (the classes of adlike.schema):

    cn=mixed (group): ad1, ad2 (user), person3 (inetOrgPerson), computer
      ws01, contact vendor, an FSP, and cn=mixed-nested (group: ad4, ad5,
      and ad2 again). People: ad1, ad2, person3, ad4, ad5 (5); 1 nested
      group, 1 computer, 1 contact, 1 FSP skipped. Some members carry no
      memberOf (as when the server keeps none for them), so they are only
      found through the group's member values.
    cn=broken (group): ad1, a dangling uid=ghost, uid=hidden under
      ou=restricted (exists; the service account may not read it) and
      cn=printer (a device: no class PandaSync knows).
    cn=unique (groupOfUniqueNames): ad1 with an optional UID, ad2.
    """
    base_entries(w)
    for ou in ("computers", "contacts", "restricted", "devices"):
        w(entry("ou=%s,%s" % (ou, BASE), [("objectClass", "organizationalUnit"), ("ou", ou)]))
    w(entry("cn=ForeignSecurityPrincipals," + BASE, [("objectClass", "organizationalRole"),
                                                     ("cn", "ForeignSecurityPrincipals")]))
    mixed, nested, broken, unique = gdn("mixed"), gdn("mixed-nested"), gdn("broken"), gdn("unique")
    ad_user = ["top", "person", "organizationalPerson", "user", "adLikeAccount"]

    def account(i, uid):
        return [("sAMAccountName", uid), ("objectGUID", guid_bytes(i, 0x44)),
                ("objectSid", sid_bytes(7000 + i)), ("userAccountControl", 512)]

    def member_of(*groups):
        return [("memberOf", g) for g in groups]

    for i, uid, groups in ((1, "ad1", (mixed, broken, unique)), (2, "ad2", (mixed, nested, unique)),
                           (4, "ad4", ()), (5, "ad5", (nested,))):
        w(entry("cn=%s,ou=people,%s" % (uid, BASE),
                [("objectClass", c) for c in ad_user] + account(i, uid) +
                [("cn", uid), ("sn", uid.upper()), ("givenName", "Ad"), ("mail", "%s@example.com" % uid),
                 ("uid", uid)] + member_of(*groups)))
    w(entry(udn("person3"), [("objectClass", "inetOrgPerson"), ("objectClass", "adLikeAccount"), ("uid", "person3"), ("cn", "Person Three"),
                             ("sn", "Three"), ("mail", "person3@example.com")] + account(3, "person3")))
    w(entry("cn=ws01,ou=computers," + BASE,
            [("objectClass", c) for c in ad_user + ["computer"]] + account(10, "ws01$") +
            [("cn", "ws01"), ("sn", "ws01")] + member_of(mixed)))
    w(entry("cn=vendor,ou=contacts," + BASE,
            [("objectClass", c) for c in ("top", "person", "organizationalPerson", "contact")] +
            [("cn", "vendor"), ("sn", "Vendor"), ("mail", "vendor@example.org")]))
    fsp = "cn=S-1-5-21-9-9-9-1104,cn=ForeignSecurityPrincipals," + BASE
    w(entry(fsp, [("objectClass", "top"), ("objectClass", "foreignSecurityPrincipal"),
                  ("cn", "S-1-5-21-9-9-9-1104")] + member_of(mixed)))
    w(entry("uid=hidden,ou=restricted," + BASE, [("objectClass", "inetOrgPerson"), ("uid", "hidden"),
                                                 ("cn", "Hidden"), ("sn", "Hidden")] + member_of(broken)))
    w(entry("cn=printer,ou=devices," + BASE, [("objectClass", "device"), ("cn", "printer")]))
    people = "ou=people," + BASE
    w(entry(nested, [("objectClass", "top"), ("objectClass", "group"), ("cn", "mixed-nested")] +
            [("member", "cn=ad4,%s" % people), ("member", "cn=ad5,%s" % people),
             ("member", "cn=ad2,%s" % people)]))
    w(entry(mixed, [("objectClass", "top"), ("objectClass", "group"), ("objectClass", "adLikeAccount"),
                    ("cn", "mixed"), ("sAMAccountName", "mixed"), ("objectGUID", guid_bytes(1, 0x55))] +
            # one value in another letter case: the same DN
            [("member", m) for m in ("CN=ad1,OU=People,DC=example,DC=com", "cn=ad2,%s" % people,
                                     udn("person3"), "cn=ws01,ou=computers," + BASE,
                                     "cn=vendor,ou=contacts," + BASE, fsp, nested)]))
    w(entry(broken, [("objectClass", "top"), ("objectClass", "group"), ("cn", "broken")] +
            [("member", m) for m in ("cn=ad1,%s" % people, udn("ghost"), "uid=hidden,ou=restricted," + BASE,
                                     "cn=printer,ou=devices," + BASE)]))
    w(entry(unique, [("objectClass", "groupOfUniqueNames"), ("cn", "unique"),
                     ("uniqueMember", "cn=ad1,%s#'0101'B" % people), ("uniqueMember", "cn=ad2,%s" % people)]))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "fixture"
    out = sys.stdout
    buf = []
    w = buf.append
    if mode == "fixture":
        fixture(w, int(sys.argv[2]) if len(sys.argv) > 2 else 5000)
    elif mode == "demo":
        demo(w)
    elif mode == "bench":
        bench(w, int(sys.argv[2]) if len(sys.argv) > 2 else 100000)
    elif mode == "adlike":
        adlike(w)
    else:
        sys.exit("usage: gen-ldif.py fixture|demo|bench [N]|adlike")
    out.write("".join(buf))


main()
