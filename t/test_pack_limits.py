# test_pack_limits.py: hostile pack inputs at the CLI, each answered by a clear problem (or a plain success) in
# memory linear in the input and in bounded time: deeply nested Akoma Ntoso elements, YAML whose JSON pointers
# would grow with the square of the file, NUL characters inside strings, and named pipes where files belong.
# Inputs are generated here, small, from the shipped pk packs.
#
# Environment as for the other t/ tests (see mez_harness.MezEnv): MEZ_BUILD_DIR, MEZ_SHARED (the AKN schema).
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PK_LAWPACK = os.path.join(ROOT, "packs", "pk", "lawpacks", "pk-ito-2001-withholding")


def xsd(mez_env):
    return mez_env.shared("schemas", "akn", "akomantoso30.xsd")


def run_measured(mez_env, *args, timeout=120):
    """Runs mez; returns (exit status, stdout, stderr, its peak resident memory in KiB). os.wait4 gives the rusage
    of this child alone (the libtool wrapper execs the binary, so it is the same process); the child starts as a
    copy of this process, so the figure is never below pytest's own: compare it with a baseline taken the same
    way, never with an absolute number."""
    out, err = (open(os.path.join(mez_env.new_dir("out"), n), "w+") for n in ("stdout", "stderr"))
    with out, err:
        proc = subprocess.Popen([mez_env.mez_bin] + [str(a) for a in args], env=mez_env.env(), stdout=out,
                                stderr=err, stdin=subprocess.DEVNULL)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            proc.returncode = 0     # reaped above; keeps Popen from waiting again
        out.seek(0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), out.read(), err.read(), usage.ru_maxrss


# ------------------------------------------------------------------------------------------------ nested AKN

def nested_lawpack(mez_env, depth, text):
    """A copy of the pk lawpack whose body starts with depth nested hcontainers (eIds h0..h<depth-1>) around one
    paragraph of text."""
    dst = os.path.join(mez_env.new_dir("nested"), "law")
    shutil.copytree(PK_LAWPACK, dst)
    path = os.path.join(dst, "akn", "main.xml")
    with open(path) as f:
        xml = f.read()
    opening = "".join('<hcontainer name="h" eId="h%d">' % i for i in range(depth))
    inner = "<content><p>%s</p></content>" % text
    assert "<body>" in xml
    xml = xml.replace("<body>", "<body>" + opening + inner + "</hcontainer>" * depth, 1)
    with open(path, "w") as f:
        f.write(xml)
    return dst


def test_nested_elements_keep_their_text_once(mez_env):
    """Each eId's text was its own string, so an element's text was held once per eId above it: 200 nested
    hcontainers around 1 MB of text took 200 MB more than the same text in one (427 MB for the review's 2 MB
    act), for the server's life. The document's text is now kept once and each element's rendered when asked."""
    words = "word " * 200000                                   # 1 MB
    flat = nested_lawpack(mez_env, 1, words)
    deep = nested_lawpack(mez_env, 200, words)
    rc, out, err, flat_kb = run_measured(mez_env, "pack", "build", "--akn-xsd", xsd(mez_env), flat)
    assert rc == 0, err
    rc, out, err, deep_kb = run_measured(mez_env, "pack", "build", "--akn-xsd", xsd(mez_env), deep)
    assert rc == 0, err
    assert "eIds" in out
    assert deep_kb < flat_kb + 40 * 1024, (flat_kb, deep_kb)
    # Every level still says everything below it, whitespace collapsed, as before.
    for eid in ("h0", "h100", "h199"):
        cp = mez_env.mez("pack", "section", "--akn-xsd", xsd(mez_env), deep, eid)
        assert cp.returncode == 0, cp.stderr
        assert '"text": "%s"' % words.strip() in cp.stdout, eid
        assert '"num": null' in cp.stdout and '"heading": null' in cp.stdout


# ------------------------------------------------------------------------------------------------ YAML pointers

def write(mez_env, name, text):
    path = os.path.join(mez_env.new_dir("yaml"), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_a_key_over_1024_bytes_is_refused_at_once(mez_env):
    """An explicit key ("? key", which libyaml does not cap as it caps simple keys) of 64 KB over a flow list:
    every item's JSON pointer repeated the key, so a 98 KB file took 2.1 GB and a 400 KB one crashed. Now the key
    itself is refused, with where it is."""
    base = write(mez_env, "small.yaml", "format: mez-regpack/1\n")
    _, _, _, base_kb = run_measured(mez_env, "pack", "build", base)
    path = write(mez_env, "quad.yaml", "format: mez-regpack/1\n? %s\n: [%s]\n" % ("k" * 65536, ",".join("0" * 16000)))
    rc, out, err, kb = run_measured(mez_env, "pack", "build", path)
    assert rc == 1, err
    assert "yaml.key_too_long: %s:2:3: a key of 65536 bytes" % path in err, err[:500]
    assert "keys are at most 1024 bytes" in err
    assert len(err) < 1000                                  # the key is quoted by its start only
    assert kb < base_kb + 16 * 1024, (base_kb, kb)


def test_pointers_are_not_kept_per_node(mez_env):
    """Keys within the bound, ten levels of them, over 30,000 items: a pointer per item was 10 KB, 300 MB in all.
    Positions are now kept per mapping and sequence and pointers walked when asked for, so memory follows the
    file. The unknown key is still reported at its line."""
    lines, indent = ["format: mez-regpack/1"], ""
    for i in range(10):
        lines.append("%s%s:" % (indent, "k%d" % i + "x" * 1000))
        indent += "  "
    lines.append(indent + "[%s]" % ",".join("0" * 30000))
    base = write(mez_env, "small.yaml", "format: mez-regpack/1\n")
    _, _, _, base_kb = run_measured(mez_env, "pack", "build", base)
    path = write(mez_env, "deep.yaml", "\n".join(lines) + "\n")
    rc, out, err, kb = run_measured(mez_env, "pack", "build", path)
    assert rc == 1, err
    assert "pack.unknown_key: %s:2:1: unknown key 'k0xxx" % path in err, err[:500]
    assert kb < base_kb + 32 * 1024, (base_kb, kb)


# ------------------------------------------------------------------------------------------------ NUL characters

def test_a_nul_in_a_yaml_string_is_refused(mez_env):
    """`id: "pk-proscribed\\0/../evil"` built as pk-proscribed: every check read the id up to the NUL, the digest
    covered all of it. A NUL in any YAML scalar is now refused at its field, as one in a key already was."""
    src = os.path.join(ROOT, "packs", "pk", "regpacks", "pk-proscribed.yaml")
    with open(src) as f:
        text = f.read()
    assert "\nid: pk-proscribed\n" in text
    line = text[:text.index("\nid: pk-proscribed\n")].count("\n") + 2
    path = write(mez_env, "pk-proscribed.yaml", text.replace("\nid: pk-proscribed\n",
                                                             '\nid: "pk-proscribed\\0/../evil"\n', 1))
    cp = mez_env.mez("pack", "build", path)
    assert cp.returncode == 1, cp.stdout
    assert "yaml.nul_not_allowed: %s:%d:5: the value holds a NUL character" % (path, line) in cp.stderr, cp.stderr
    assert "(at /id)" in cp.stderr
    assert "pk-proscribed" not in cp.stdout


def test_a_nul_in_a_lawpack_archive_manifest_is_refused(mez_env, tmp_path):
    """A lawpack's CAS form carries its manifest as JSON, where \\u0000 is legal: `mez cas put` (and bundle import)
    now refuse a manifest string holding one, naming the field."""
    import base64
    import json
    built = str(tmp_path / "built")
    cp = mez_env.mez("pack", "build", "--akn-xsd", xsd(mez_env), "--datadir", built, PK_LAWPACK)
    assert cp.returncode == 0, cp.stderr
    lawdir = os.path.join(built, "cas", "lawpack")
    with open(os.path.join(lawdir, os.listdir(lawdir)[0]), "rb") as f:
        archive = json.loads(f.read())

    def canon(obj):
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    for entry in archive["files"]:
        if entry["path"] == "lawpack.yaml":
            manifest = json.loads(base64.b64decode(entry["content_base64"]))
            manifest["title"] += "\u0000 (not what was checked)"
            entry["content_base64"] = base64.b64encode(canon(manifest)).decode()
    path = str(tmp_path / "nul-archive")
    with open(path, "wb") as f:
        f.write(canon(archive))
    cp = mez_env.mez("cas", "put", "--datadir", str(tmp_path / "store"), "--type", "lawpack", path)
    assert cp.returncode != 0
    assert "cas.invalid_content" in cp.stderr and "'title' holds a NUL character" in cp.stderr, cp.stderr


# ------------------------------------------------------------------------------------------------ named pipes

FIFO_PLACES = ["zone.yaml", "stack.lock", "regpacks/pk-aml-cft.yaml",
               "lawpacks/pk-ito-2001-withholding/lawpack.yaml", "lawpacks/pk-ito-2001-withholding/akn/main.xml"]


@pytest.mark.parametrize("rel", FIFO_PLACES)
def test_a_named_pipe_in_a_zone_is_refused_at_once(mez_env, rel):
    """Every file was opened before its type was checked, and opening a FIFO waits for a writer: a zone file, a
    lock, a pack or an act replaced by one hung `mez zone check`, `mez pack build` and httpd's start-up forever.
    Now the open does not wait and anything but a regular file is refused, naming what it is."""
    zone = os.path.join(mez_env.new_dir("fifo"), "pk")
    shutil.copytree(os.path.join(ROOT, "packs", "pk"), zone)
    path = os.path.join(zone, rel)
    os.unlink(path)
    os.mkfifo(path)
    cp = mez_env.mez("zone", "check", "--profile-dir", os.path.join(ROOT, "profiles"), "--akn-xsd", xsd(mez_env),
                     os.path.join(zone, "zone.yaml"), timeout=60)
    assert cp.returncode != 0, cp.stdout
    assert "%s is a named pipe (FIFO), not a regular file" % path in cp.stderr, cp.stderr


def test_mez_pack_build_refuses_a_named_pipe_or_a_device(mez_env):
    path = os.path.join(mez_env.new_dir("fifo"), "pack.yaml")
    os.mkfifo(path)
    cp = mez_env.mez("pack", "build", path, timeout=60)
    assert cp.returncode != 0
    assert "io.read" in cp.stderr and "%s is a named pipe (FIFO), not a regular file" % path in cp.stderr
    cp = mez_env.mez("pack", "build", "/dev/zero", timeout=60)
    assert cp.returncode != 0
    assert "/dev/zero is a character device, not a regular file" in cp.stderr, cp.stderr
