# test_pack_limits.py: hostile pack inputs at the CLI, each answered by a clear problem (or a plain success) in
# memory linear in the input and in bounded time: deeply nested Akoma Ntoso elements, YAML whose JSON pointers
# would grow with the square of the file, NUL characters inside strings, and named pipes where files belong.
# Inputs are generated here, small, from the shipped pk packs.
#
# Environment as for the other t/ tests (see mez_harness.MezEnv): MEZ_BUILD_DIR, MEZ_SHARED (the AKN schema).
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PK_LAWPACK = os.path.join(ROOT, "packs", "pk", "lawpacks", "pk-ito-2001-withholding")


def xsd(mez_env):
    return mez_env.shared("schemas", "akn", "akomantoso30.xsd")


def run_measured(mez_env, *args, timeout=120):
    """Runs mez; returns (exit status, stdout, stderr, its peak resident memory in KiB). os.wait4 gives the rusage
    of this child alone (the libtool wrapper execs the binary, so it is the same process)."""
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
