# test_canon_numbers.py: `mez canon` writes numbers as ECMAScript's Number::toString does (RFC 8785 section
# 3.2.2.3), checked against Python's repr, which picks the same digits (the shortest that reads back, the closest
# of those), over every power of two, its neighbours, boundary values and random doubles. Needs only cli/mez.
import math
import random
import struct


def ecmascript(d):
    """Number::toString of a finite double, from Python's repr digits and ECMAScript's layout rules
    (plain digits below 1e21, 0.000ddd down to 1e-6, exponent form outside)."""
    if d == 0:
        return "0"
    if d < 0:
        return "-" + ecmascript(-d)
    mantissa, _, exp = repr(d).partition("e")
    exp = int(exp) if exp else 0
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    lead = len(all_digits) - len(all_digits.lstrip("0"))
    digits = all_digits.lstrip("0").rstrip("0")
    k, n = len(digits), len(whole) + exp - lead
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    return digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if n - 1 >= 0 else "-") + str(abs(n - 1))


def test_ecmascript_reference_itself():
    # The layout rules, from ECMAScript's own examples and RFC 8785 Appendix B.
    assert [ecmascript(x) for x in (1e21, 1e20, 1e-7, 1e-6, 5e-324, 123.0, 0.1 + 0.2, 2.0 ** -24)] == \
        ["1e+21", "100000000000000000000", "1e-7", "0.000001", "5e-324", "123", "0.30000000000000004",
         "5.960464477539063e-8"]


def test_numbers_match_python_repr(mez_env, workdir):
    values = [5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, 1e21, 1e-7,
              1e-6, 9007199254740993.0, 0.1 + 0.2, 4.35e-322, 1e23, 5e-7, 123456789012345680000.0]
    for e in range(-1074, 1024):
        d = math.ldexp(1.0, e)
        values += [d, math.nextafter(d, 0.0), math.nextafter(d, math.inf)]
    rnd = random.Random(8785)
    for _ in range(20000):
        values.append(struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0])
    for _ in range(5000):   # short decimals, where the nearest is usually the answer
        values.append(float("%.*e" % (rnd.randint(0, 16), rnd.uniform(1, 10))) * 10.0 ** rnd.randint(-30, 30))
    values = [v for v in values if math.isfinite(v) and v != 0]
    path = workdir + "/nums.json"
    with open(path, "w") as f:
        f.write("[" + ",".join(repr(v) for v in values) + "]")
    cp = mez_env.mez("canon", path)
    assert cp.returncode == 0, cp.stderr
    got = cp.stdout.strip()[1:-1].split(",")
    assert len(got) == len(values)
    bad = [(repr(v), ecmascript(v), g) for v, g in zip(values, got) if ecmascript(v) != g]
    assert not bad, "%d of %d differ, e.g. %r" % (len(bad), len(values), bad[:10])
