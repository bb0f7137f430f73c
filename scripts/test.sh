#!/usr/bin/env bash
# test.sh: README command 2 (and CI): installs what is missing, builds from scratch, runs every test suite
# (CUnit plain and under ASan/UBSan, pytest integration against SQLite and a private PostgreSQL) and ends with
# one summary line "mez: N passed, M failed". Exit status is non-zero when anything failed.
#
# Usage: sudo bash scripts/test.sh        (root only to install packages and to run httpd/PostgreSQL as
#                                          www-data/postgres; without root it runs when everything is installed)
# Environment: MEZ_SKIP_ASAN=1 skips the sanitizer build; MEZ_SKIP_DEB=1 skips the Debian packaging check;
#              MEZ_TEST_DRIVERS=sqlite3 limits pytest to one driver;
#              MEZ_TEST_JOBS=N runs the integration tests in N pytest processes (default: one more than the
#              machine's cores; 1 runs them in this one);
#              PYTEST_ADDOPTS passes options to pytest (e.g. "-x -k credentials").
set -u
set -o pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
export MEZ_SHARED="${MEZ_SHARED:-$(cd "$top/.." && pwd)/shared}"
jobs=$(nproc 2>/dev/null || echo 2)

PACKAGES=(build-essential autoconf automake libtool pkg-config apache2 apache2-dev libapr1-dev libaprutil1-dev
          libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql libssl-dev libjansson-dev libyaml-dev libxml2-dev
          libcurl4-openssl-dev libpq-dev libcunit1-dev postgresql python3-pytest python3-pytest-xdist python3-requests
          python3-jsonschema python3-yaml sqlite3
          openssl nodejs node-jsdom tzdata)

passed=0
failed=0
breakdown=()
timings=()
status=0

now() { date +%s.%N; }
stage_begin() { stage_name=$1; stage_t0=$(now); printf '\n== %s\n' "$1"; }
stage_end() {
    local secs
    secs=$(awk -v a="$stage_t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
    timings+=("$(printf '%-14s %7s s  %s' "$stage_name" "$secs" "$1")")
    printf '== %s: %s (%s s)\n' "$stage_name" "$1" "$secs"
}
fail_stage() { failed=$((failed + 1)); status=1; breakdown+=("$1: did not run"); }

# CUnit's "Run Summary" table in the automake test log: "tests  <total> <ran> <passed> <failed> <inactive>".
count_cunit() {
    local log=$1 label=$2 ran fl
    if [ ! -f "$log" ] || ! grep -q 'Run Summary' "$log"; then
        echo "no CUnit summary in $log"
        failed=$((failed + 1)); breakdown+=("$label: no summary"); return
    fi
    sed -n '/Run Summary/,/Elapsed/p' "$log"
    ran=$(awk '$1 == "tests" { print $3; exit }' "$log")
    fl=$(awk '$1 == "tests" { print $5; exit }' "$log")
    passed=$((passed + ran - fl)); failed=$((failed + fl))
    breakdown+=("$label: $((ran - fl))/$ran")
}

# ------------------------------------------------------------------------------------------------ 1. packages
stage_begin "packages"
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${missing[*]}; run as root (sudo bash scripts/test.sh) to install them" >&2
        exit 2
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
        echo "apt-get install failed" >&2; exit 2
    fi
    stage_end "installed ${#missing[@]}"
else
    stage_end "all present"
fi

# ------------------------------------------------------------------------------------------------ 2. build
stage_begin "autoreconf"
if autoreconf -fi; then stage_end ok; else stage_end FAILED; echo "autoreconf failed" >&2; exit 1; fi

stage_begin "build"
rm -rf build && mkdir build
if (cd build && ../configure -q && make -j"$jobs"); then
    build_ok=1; stage_end ok
else
    build_ok=0; stage_end FAILED; fail_stage "build"
fi

stage_begin "unit"
if [ "$build_ok" = 1 ]; then
    (cd build && make -j"$jobs" check) || status=1
    echo "-- CUnit summary (build/t/unit/mez-unit.log)"
    count_cunit build/t/unit/mez-unit.log unit
    stage_end "done"
else
    stage_end "skipped (no build)"
fi

# ------------------------------------------------------------------------------------------------ 3. sanitizers
# ASan + UBSan (-fno-sanitize-recover=undefined: any UB aborts the test). LeakSanitizer is on: APR pools, jansson
# and OpenSSL release what they hold at apr_terminate()/exit, so a reported leak is ours. If LSan cannot run
# (e.g. under ptrace), set ASAN_OPTIONS=detect_leaks=0 yourself.
if [ -z "${MEZ_SKIP_ASAN:-}" ]; then
    stage_begin "build-asan"
    rm -rf build-asan && mkdir build-asan
    if (cd build-asan && ../configure -q --enable-sanitizers && make -j"$jobs"); then
        asan_ok=1; stage_end ok
    else
        asan_ok=0; stage_end FAILED; fail_stage "build-asan"
    fi
    stage_begin "unit-asan"
    if [ "$asan_ok" = 1 ]; then
        (cd build-asan && ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}" \
            UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" make -j"$jobs" check) || status=1
        echo "-- CUnit summary (build-asan/t/unit/mez-unit.log)"
        count_cunit build-asan/t/unit/mez-unit.log unit-asan
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' build-asan/t/unit/mez-unit.log; then
            echo "sanitizer reports in build-asan/t/unit/mez-unit.log:"
            grep -E -A3 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' build-asan/t/unit/mez-unit.log | head -40
            failed=$((failed + 1)); status=1; breakdown+=("unit-asan: sanitizer report")
        fi
        stage_end "done"
    else
        stage_end "skipped (no build)"
    fi
fi

# ------------------------------------------------------------------------------------------------ 4. integration
stage_begin "integration"
if [ "$build_ok" = 1 ]; then
    junit="$top/build/pytest-junit.xml"
    rm -f "$junit"
    # Several pytest processes (pytest-xdist), each test file whole in one (its module's zones are shared by its
    # tests): a test spends most of its time waiting for httpd, PostgreSQL or a child process, so one more process
    # than cores keeps the machine busy. Each process has its own temporary tree, PostgreSQL and ports (t/conftest.py).
    test_jobs=${MEZ_TEST_JOBS:-$((jobs + 1))}
    case $test_jobs in
        ''|*[!0-9]*) echo "MEZ_TEST_JOBS must be a number of processes, not '$test_jobs'" >&2; exit 2 ;;
    esac
    parallel=()
    if [ "$test_jobs" -gt 1 ] && /usr/bin/python3 -c 'import xdist' 2>/dev/null; then
        parallel=(-n "$test_jobs" --dist loadfile)
    fi
    echo "pytest processes: ${parallel[1]:-1}"
    MEZ_BUILD_DIR="$top/build" MEZ_SOURCE_DIR="$top" /usr/bin/python3 -m pytest t/ -q -p no:cacheprovider \
        ${parallel[@]+"${parallel[@]}"} --junitxml="$junit" || status=1
    if [ -f "$junit" ]; then
        read -r ip ifl isk < <(/usr/bin/python3 - "$junit" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = e = s = 0
for su in suites:
    t += int(su.get("tests", 0)); f += int(su.get("failures", 0))
    e += int(su.get("errors", 0)); s += int(su.get("skipped", 0))
print(t - f - e - s, f + e, s)
EOF
        )
        passed=$((passed + ip)); failed=$((failed + ifl))
        skipped_note=""
        [ "${isk:-0}" != 0 ] && skipped_note=" ($isk skipped)"
        breakdown+=("integration: $ip/$((ip + ifl))$skipped_note")
        stage_end "$ip passed, $ifl failed, $isk skipped"
    else
        stage_end "FAILED (no junit report)"; fail_stage "integration"
    fi
else
    stage_end "skipped (no build)"; fail_stage "integration"
fi

# ------------------------------------------------------------------------------------------------ 5. packages
# The Debian packages built from the tree, installed with apt-get in a throw-away root and used as an admin would:
# a2enmod mez, apache2ctl -t, a2ensite of a zone, /readyz (scripts/check-deb; root only). MEZ_SKIP_DEB=1 skips it.
if [ -z "${MEZ_SKIP_DEB:-}" ]; then
    stage_begin "deb"
    if [ "$(id -u)" -eq 0 ]; then
        deb_log=$(mktemp)
        bash scripts/check-deb "$top/build-deb" 2>&1 | tee "$deb_log" || status=1
        read -r dp dfl < <(awk '/^deb: [0-9]+ passed, [0-9]+ failed$/ { print $2, $4 }' "$deb_log" | tail -1)
        rm -f "$deb_log"
        if [ -n "${dp:-}" ]; then
            passed=$((passed + dp)); failed=$((failed + dfl))
            breakdown+=("deb: $dp/$((dp + dfl))")
            stage_end "$dp passed, $dfl failed"
        else
            stage_end "FAILED (no summary)"; fail_stage "deb"
        fi
    else
        breakdown+=("deb: skipped (needs root)")
        stage_end "skipped (needs root)"
    fi
fi

# ------------------------------------------------------------------------------------------------ summary
printf '\n== timings\n'
printf '  %s\n' "${timings[@]}"
joined=$(IFS=';'; echo "${breakdown[*]}")
printf '== %s\n' "${joined//;/, }"
[ "$failed" -gt 0 ] && status=1
echo "mez: $passed passed, $failed failed"
exit $status
