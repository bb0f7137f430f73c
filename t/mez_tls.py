# mez_tls.py: a throw-away PKI for the integration tests, and how a Zone serves TLS with it.
#
# TestCA makes a CA (P-256, self-signed) and signs server certificates for the loopback names and client
# certificates with it, all with the openssl command (the tests then check mod_mez against certificates made by a
# tool that is not the code under test). ServerTLS is what Zone(tls=...) takes: the server certificate, the CA
# clients verify the zone with (ca_file, for requests' verify=), and optionally SSLVerifyClient with the CA that
# client certificates must chain to. Zones without tls= stay plain HTTP.
#
#     ca = TestCA(env.new_dir("pki"))
#     zone = make_zone("sqlite3", tls=ServerTLS(ca, verify_client="optional"), extra_conf="MezClientCertAuth on")
#     alice = ca.client("alice")
#     zone.get("/v1/zone", cert=alice.pair)          # https://127.0.0.1:<port>, verified against ca.cert
import hashlib
import itertools
import os
import secrets
import shutil
import ssl
import subprocess

VERIFY_CLIENT = ("none", "optional", "require", "optional_no_ca")

_CA_CONF = """\
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_LEAF_EXT = """\
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = %s
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
%s
"""


class TLSError(Exception):
    pass


def _openssl(*args, cwd=None):
    openssl = shutil.which("openssl")
    if not openssl:
        raise TLSError("the openssl command is needed to make test certificates (apt-get install openssl)")
    cp = subprocess.run([openssl] + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if cp.returncode != 0:
        raise TLSError("openssl %s failed: %s" % (args[0], cp.stderr))
    return cp.stdout


class CertKey:
    """A certificate (PEM file) and its private key (PEM file)."""

    def __init__(self, cert, key, subject):
        self.cert = cert
        self.key = key
        self.subject = subject

    @property
    def pair(self):
        """What requests takes as cert=."""
        return (self.cert, self.key)

    @property
    def der(self):
        with open(self.cert) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    @property
    def fingerprint(self):
        """sha256:<hex> of the DER encoding, computed here (hashlib), independently of mod_mez and libmezcore."""
        return "sha256:" + hashlib.sha256(self.der).hexdigest()

    def __repr__(self):
        return "<CertKey %s>" % self.subject


class TestCA:
    """A CA in dir: ca.pem / ca.key, and the certificates it signs (<name>.pem / <name>.key)."""
    __test__ = False  # not a pytest test class

    def __init__(self, dir, name="mez test CA"):
        self.dir = dir
        self.name = name
        self._n = itertools.count(1)
        os.makedirs(dir, exist_ok=True)
        conf = os.path.join(dir, "ca.cnf")
        with open(conf, "w") as f:
            f.write(_CA_CONF)
        self.cert = os.path.join(dir, "ca.pem")
        self.key = os.path.join(dir, "ca.key")
        _openssl("req", "-x509", "-config", conf, "-extensions", "ca", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "3650",
                 "-subj", "/O=mez tests/CN=%s" % name)
        os.chmod(self.key, 0o600)
        os.chmod(self.cert, 0o644)

    def _issue(self, name, subject, eku, san=None, days=30):
        base = os.path.join(self.dir, "%s-%d" % (name, next(self._n)))
        key, csr, cert, ext = base + ".key", base + ".csr", base + ".pem", base + ".ext"
        with open(ext, "w") as f:
            f.write(_LEAF_EXT % (eku, "subjectAltName = " + san if san else ""))
        _openssl("req", "-new", "-config", os.path.join(self.dir, "ca.cnf"), "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", subject)
        _openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-set_serial",
                 "0x%x" % secrets.randbits(63), "-days", str(days), "-sha256", "-extfile", ext, "-extensions",
                 "leaf", "-out", cert)
        os.chmod(key, 0o600)
        os.chmod(cert, 0o644)
        return CertKey(cert, key, subject)

    def server(self, names=("127.0.0.1", "localhost"), name="server"):
        """A serverAuth certificate for names (IP addresses and DNS names)."""
        san = ", ".join(("IP:%s" if n.replace(".", "").isdigit() or ":" in n else "DNS:%s") % n for n in names)
        return self._issue(name, "/O=mez tests/CN=%s" % names[0], "serverAuth", san)

    def client(self, cn, name=None):
        """A clientAuth certificate with CN=cn."""
        return self._issue(name or "client-" + "".join(c if c.isalnum() else "-" for c in cn),
                           "/O=mez tests/CN=%s" % cn, "clientAuth")


class ServerTLS:
    """How a Zone serves HTTPS. ca: the CA that signed the server certificate (clients verify the zone with
    ca_file); verify_client: None (no client certificates asked) or an SSLVerifyClient value; client_ca: the CA
    client certificates must chain to (default: ca). With verify_client "require" the harness's own probes
    (/healthz at start-up) present a certificate of client_ca, since mod_ssl would refuse them otherwise."""

    def __init__(self, ca, verify_client=None, client_ca=None, server=None):
        if verify_client is not None and verify_client not in VERIFY_CLIENT:
            raise TLSError("SSLVerifyClient %r is not one of %s" % (verify_client, ", ".join(VERIFY_CLIENT)))
        self.ca = ca
        self.server = server or ca.server()
        self.verify_client = verify_client
        self.client_ca = client_ca or ca
        self.probe = self.client_ca.client("mez harness probe") if verify_client == "require" else None

    @property
    def ca_file(self):
        return self.ca.cert

    def request_defaults(self, probe=False):
        """verify= (and for probes, cert=) for requests to a zone served with this configuration."""
        kw = {"verify": self.ca_file}
        if probe and self.probe:
            kw["cert"] = self.probe.pair
        return kw

    def conf_lines(self, modules_dir, builtin_modules, run_dir):
        lines = []
        if "mod_socache_shmcb" not in builtin_modules:
            lines.append("LoadModule socache_shmcb_module %s/mod_socache_shmcb.so" % modules_dir)
        if "mod_ssl" not in builtin_modules:
            lines.append("LoadModule ssl_module %s/mod_ssl.so" % modules_dir)
        lines += [
            "SSLEngine on",
            "SSLCertificateFile %s" % self.server.cert,
            "SSLCertificateKeyFile %s" % self.server.key,
            "SSLSessionCache shmcb:%s/ssl_scache(512000)" % run_dir,
        ]
        if self.verify_client:
            lines += [
                "SSLVerifyClient %s" % self.verify_client,
                "SSLVerifyDepth 2",
                "SSLCACertificateFile %s" % self.client_ca.cert,
            ]
        return lines
