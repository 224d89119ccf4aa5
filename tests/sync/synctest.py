"""What the end-to-end sync tests (tests/sync/test-sync*.py) share.

TAP output (ok, bail, finish), the servers on 127.0.0.1 (slapd through
tests/servers/start-slapd.sh, and the emulators: Asset Panda, Graph, Okta,
each started on a free port and spoken to over its /_admin/ API), and Env:
a throw-away folder with the credentials files, the profiles, the
environment pandasync-cli runs in, and the servers it stops at the end.

Needs PANDASYNC_CLI, PANDASYNC_EMULATOR and PANDASYNC_SOURCE_ROOT (meson
sets them).
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

CLI = os.environ["PANDASYNC_CLI"]
EMULATOR = os.environ["PANDASYNC_EMULATOR"]
SRC = os.environ["PANDASYNC_SOURCE_ROOT"]
START_SLAPD = os.path.join(SRC, "tests", "servers", "start-slapd.sh")
DEMO_SEED = os.path.join(SRC, "tests", "emulator", "assetpanda", "seed-demo.json")
MAKE_CA = os.path.join(SRC, "tests", "emulator", "common", "make-test-ca.sh")
BASE = "dc=example,dc=com"
ADMIN = ["-x", "-D", "cn=admin," + BASE, "-w", "secret"]

# The demo seed's Classic collection and its status field.
EMPLOYEES, STATUS_FIELD, ACTIVE, INACTIVE, NONE = 82677, "field_8", 901, 902, 903
# The demo seed's Pro account, module and collection.
PRO_ACCOUNT = "01HWQWAEKG252XHYN9C4TCWHBP"
PRO_MODULE = "01HWQVMCM63EHF7NBJX12P5JM1"
PRO_EMPLOYEES = "01HWQTDHNSZ4HC2S8H3AXYSRD0"

# ------------------------------------------------------------------ TAP

_n = 0
_failed = 0


def ok(cond, desc, diag=None):
    global _n, _failed
    _n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (_n, desc), flush=True)
    if not cond:
        _failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:40]:
                print("#   " + line, flush=True)
    return cond


def bail(why):
    print("Bail out! " + why, flush=True)
    sys.exit(1)


def finish():
    """Prints the plan; the exit status for main ()."""
    print("1..%d" % _n, flush=True)
    return 1 if _failed else 0


def skip_without(*tools):
    """Skips the whole script (TAP 1..0) when a tool is not installed."""
    for tool in tools:
        if not shutil.which(tool):
            print("1..0 # SKIP %s is not installed: run build-aux/install-deps.sh" % tool, flush=True)
            sys.exit(0)


# ------------------------------------------------------------------ slapd

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Slapd:
    def __init__(self, workdir, mode):
        self.dir = os.path.join(workdir, "slapd")
        self.mode = mode
        self.env = {}
        self.start(fresh=True)

    def start(self, fresh=False):
        if fresh:
            for _ in range(10):
                port = free_port()
                r = subprocess.run([START_SLAPD, self.dir, str(port)] + self.mode,
                                   capture_output=True, text=True)
                if r.returncode == 0:
                    break
            if r.returncode == 77:
                print("1..0 # SKIP slapd is not installed: run build-aux/install-deps.sh", flush=True)
                sys.exit(0)
            if r.returncode != 0:
                bail("slapd did not start (status %d): %s %s" % (r.returncode, r.stdout[-500:], r.stderr[-500:]))
            for line in r.stdout.splitlines():
                if line.startswith("export "):
                    k, v = line[len("export "):].split("=", 1)
                    self.env[k] = v.strip("'")
            self.uri = self.env["PS_TEST_LDAP_URI"]
            self.conf = os.path.join(self.dir, "slapd.conf")
            return
        subprocess.run(["/usr/sbin/slapd", "-f", self.conf, "-h", self.uri + "/"], check=True)
        for _ in range(100):
            if subprocess.run(["ldapsearch", "-x", "-H", self.uri, "-b", "", "-s", "base"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.05)
        bail("slapd did not come back")

    def pid(self):
        with open(os.path.join(self.dir, "run", "slapd.pid")) as f:
            return int(f.read().strip())

    def stop(self):
        try:
            pid = self.pid()
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass

    def modify(self, ldif):
        r = subprocess.run(["ldapmodify", "-H", self.uri] + ADMIN, input=ldif, capture_output=True,
                           text=True)
        if r.returncode != 0:
            bail("ldapmodify failed: " + r.stderr + "\n" + ldif)

    def search(self, base, filt, *attrs):
        r = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-H", self.uri] + ADMIN +
                           ["-E", "pr=1000/noprompt", "-b", base, filt] + list(attrs),
                           capture_output=True, text=True)
        entries, cur = [], None
        for line in r.stdout.splitlines():
            if line.startswith("dn: "):
                cur = {"dn": line[4:]}
                entries.append(cur)
            elif cur is not None and ": " in line and not line.startswith("#"):
                k, v = line.split(": ", 1)
                cur.setdefault(k.rstrip(":"), []).append(v)
        return entries

    def directory_section(self):
        """The profile's [Directory] section for this slapd (plain LDAP)."""
        return ("[Directory]\nURIs={uri}\nTLS=none\nAllowPlaintextBind=true\nBindDN={bind}\nBaseDN={base}\n"
                .format(uri=self.uri, bind=self.env["PS_TEST_LDAP_BIND_DN"], base=BASE))


# ------------------------------------------------------------------ the emulators

class Server:
    """An emulator on a free port: the PORT= and URL= lines it prints, its
    log in @workdir, and JSON calls to it (HTTPS trusts @cafile)."""

    def __init__(self, binary, workdir, log_name, what, args, cafile=None):
        self.what = what
        self.log = open(os.path.join(workdir, log_name), "w")
        self.proc = subprocess.Popen([binary, "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT="):
            bail("the %s did not start" % what)
        line = self.proc.stdout.readline()
        if not line.startswith("URL="):
            bail("the %s did not say its URL" % what)
        self.url = line.strip().split("=", 1)[1]
        self.context = None
        if self.url.startswith("https:"):
            self.context = ssl.create_default_context(cafile=cafile)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30, context=self.context) as r:
            text = r.read()
            return json.loads(text) if text else None

    def get(self, path):
        return self.call("GET", path)

    def post(self, path, body):
        return self.call("POST", path, body)

    def calls(self):
        return self.get("/_admin/calls")["calls"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


class Emulator(Server):
    """The Asset Panda emulator, rate limit off, on the demo seed unless
    @extra names another --seed."""

    def __init__(self, workdir, *extra):
        super().__init__(EMULATOR, workdir, "emulator.log", "emulator",
                         ["--seed", DEMO_SEED, "--rate-limit", "0"] + list(extra))

    def state(self):
        return self.get("/_admin/state")["classic"]

    def employees(self):
        g = [g for g in self.state()["groups"] if g["id"] == EMPLOYEES][0]
        return g["objects"]

    def users(self):
        return self.state()["users"]

    def writes_since(self, seq):
        return [c for c in self.calls() if c["seq"] > seq and c["method"] in ("POST", "PUT", "PATCH", "DELETE")
                and "/search" not in c["path"] and "/session/token" not in c["path"]]

    def records(self):
        """The Classic Employees records by anchor (integ_ad_sid): id, status
        (the status field's option id) and data."""
        out = {}
        for o in self.employees():
            v = o["data"].get(STATUS_FIELD)
            status = v.get("id") if isinstance(v, dict) else (int(v) if v not in (None, "") else None)
            out.setdefault(o.get("integ_ad_sid"), []).append({"id": o["id"], "status": status, "data": o["data"]})
        return out

    def last_seq(self):
        calls = self.calls()
        return calls[-1]["seq"] if calls else 0


# ------------------------------------------------------------------ one test's world

def asset_panda_section(url, dialect="classic", extra=""):
    """The profile's [AssetPanda] section for the emulator at @url, either
    dialect ("auto": Classic's credentials, the dialect left to PandaSync),
    with its rate limit out of the way."""
    if dialect == "pro":
        target = "Dialect=pro\nClientId=AKID-DEMO-0001\n"
    else:
        target = ("" if dialect == "auto" else "Dialect=classic\n") + \
            "ClientId=ps-demo-client\nEmail=admin@example.com\n"
    return "[AssetPanda]\nURL=%s\n%s%sRateCalls=100000\nRateWindow=1\n" % (url, target, extra)


def asset_panda_secrets(dialect="classic"):
    """The demo seed's credentials for either dialect."""
    if dialect == "pro":
        return {"ApiClientSecret": "aks-demo-secret-0001"}
    return {"ApiClientSecret": "ps-demo-secret", "ApiPassword": "Panda-Admin-1"}


class Env:
    """A throw-away folder for one test: credentials files, profiles, the
    environment pandasync-cli runs in, and the servers, stopped by close ()."""

    def __init__(self, prefix):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.servers = []
        self.timeout = 600          # seconds a pandasync-cli run may take
        self.env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.tmp, "config"),
                        XDG_STATE_HOME=os.path.join(self.tmp, "state"), HOME=self.tmp, LC_ALL="C.UTF-8")
        self.env.pop("PANDASYNC_PROFILE", None)

    def serve(self, server):
        """Keeps @server to stop it in close (); returns it."""
        self.servers.append(server)
        return server

    def start_slapd(self, mode):
        return self.serve(Slapd(self.tmp, mode))

    def start_emulator(self, *extra, seed=None):
        """The Asset Panda emulator; @seed, a dict, replaces the demo seed."""
        if seed is not None:
            seed_path = os.path.join(self.tmp, "seed.json")
            with open(seed_path, "w") as f:
                json.dump(seed, f)
            extra = ("--seed", seed_path) + extra
        return self.serve(Emulator(self.tmp, *extra))

    def make_ca(self):
        """A throw-away CA and server certificate in tmp/ca; the folder."""
        ca = os.path.join(self.tmp, "ca")
        subprocess.run([MAKE_CA, ca], check=True)
        return ca

    def credentials(self, name, values):
        """A credentials file (mode 0600) with @values in [Credentials]."""
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write("[Credentials]\n" + "".join("%s=%s\n" % kv for kv in values.items()))
        os.chmod(path, 0o600)
        return path

    def write_profile_file(self, path, profile_id, creds, body, state=None):
        """A profile at @path: its [Profile] section, then @body."""
        with open(path, "w") as f:
            f.write("[Profile]\nId={id}\nCredentialsFile={creds}\nStateFile={state}\n\n{body}".format(
                id=profile_id, creds=creds, state=state or os.path.join(self.tmp, profile_id + ".db"),
                body=body))
        return path

    def cli(self, profile, *args):
        return subprocess.run([CLI] + list(args) + ["--profile-file", profile], capture_output=True,
                              text=True, env=self.env, timeout=self.timeout)

    def sync(self, profile, *args):
        """`pandasync-cli sync --json`: its JSON, with _rc, _stderr and _seconds."""
        t0 = time.monotonic()
        r = self.cli(profile, "sync", "--json", *args)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = {"raw": r.stdout}
        out["_rc"] = r.returncode
        out["_stderr"] = r.stderr
        out["_seconds"] = time.monotonic() - t0
        return out

    def close(self):
        for server in reversed(self.servers):
            server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ------------------------------------------------------------------ reading results

def mapping(result, name):
    for m in result.get("mappings", []):
        if m["name"] == name:
            return m
    return {}


def counts(result, name):
    """(created, updated, deactivated, reactivated, failed) of a mapping; -1 where missing."""
    m = mapping(result, name)
    return tuple(m.get(k, -1) for k in ("created", "updated", "deactivated", "reactivated", "failed"))


def by_sid(objects):
    out = {}
    for o in objects:
        out.setdefault(o.get("integ_ad_sid"), []).append(o)
    return out
