# test_harness.py: checks of the harness itself: the private PostgreSQL, the independent eddsa-jcs-2022 signer
# (against the W3C vector), and several httpd instances side by side.
import json
import os

import pytest

import mez_harness
from mez_harness import b58decode, b58encode, ed25519_pem_from_seed, sign_eddsa_jcs_2022


def test_pg_server_private_and_trusting(pg_server):
    db = pg_server.createdb("harness")
    assert pg_server.psql(db, "SHOW listen_addresses") == "127.0.0.1"
    assert pg_server.psql(db, "SELECT current_user") == "postgres"
    assert pg_server.psql(db, "SHOW unix_socket_directories") == pg_server.sock
    owner = os.stat(pg_server.data).st_uid
    assert owner != 0, "PostgreSQL's data directory must not belong to root"


def test_signer_reproduces_w3c_vector(mez_env, workdir):
    base = mez_env.shared("vectors", "vc-di-eddsa")
    with open(os.path.join(base, "keyPair.json")) as f:
        kp = json.load(f)
    with open(os.path.join(base, "eddsa-jcs-2022", "signedJCS.json")) as f:
        signed = json.load(f)
    raw = b58decode(kp["privateKeyMultibase"][1:])
    assert raw[:2] == bytes([0x80, 0x26]) and len(raw) == 34  # multicodec ed25519-priv + 32-byte seed
    assert b58encode(raw) == kp["privateKeyMultibase"][1:]
    key = os.path.join(workdir, "vector.pem")
    with open(key, "w") as f:
        f.write(ed25519_pem_from_seed(raw[2:]))
    os.chmod(key, 0o600)
    p = signed["proof"]
    try:
        ours = sign_eddsa_jcs_2022(signed, key, p["verificationMethod"], workdir, created=p["created"])
    except mez_harness.HarnessError as e:
        pytest.skip(str(e))
    assert ours["proof"] == p


def test_several_httpd_at_once(make_zone, driver):
    zones = [make_zone(driver) for _ in range(3)]
    assert len({z.port for z in zones}) == 3
    assert len({z.did for z in zones}) == 3
    pids = [z.proc.pid for z in zones]
    for z in zones:
        assert z.running
        assert z.get("/healthz").status_code == 200
    zones[1].stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pids[1], 0)  # parent and children gone
    for z in (zones[0], zones[2]):
        assert z.get("/healthz").status_code == 200


def test_free_ports_are_never_handed_out_twice():
    """Servers created before any of them starts must not share a port (the second would fail to bind, and the
    first would answer for it)."""
    ports = [mez_harness.free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)


def test_a_zone_whose_port_another_server_holds_does_not_pass_for_started(make_zone, driver):
    """A zone whose httpd cannot bind its port is not taken for started because another server answers there: it
    takes another port (the harness's retry), and each zone then answers for itself."""
    first = make_zone(driver)
    second = make_zone(driver, start=False)
    second.port = first.port
    second.write_conf()
    second.start()
    assert second.port != first.port and second.running
    assert second.get("/v1/zone").json()["did"] == second.did != first.did
    # where /proc tells (Linux), each httpd holds its own listening socket, and not the other's
    if first._holds_port() is not None:
        assert first._holds_port() and second._holds_port()
        first.port, second.port = second.port, first.port
        assert not first._holds_port() and not second._holds_port()
        first.port, second.port = second.port, first.port
