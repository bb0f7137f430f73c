#!/usr/bin/env bash
# demo.sh: README command 1: installs what is missing, builds and installs mez, creates a demo zone (its own key,
# a SQLite database through mod_dbd) and runs httpd with mod_mez on 127.0.0.1:8080. Safe to run again.
#
# Usage: sudo bash scripts/demo.sh [--daemon]
#   (default)  httpd runs in the foreground; Ctrl-C stops it
#   --daemon   httpd detaches (apache2 -k start); stop it with: apache2 -f <dir>/httpd.conf -k stop
#   --install-only   packages, build and install, then stop (README: then `mez deploy` brings a zone up)
# Environment: MEZ_DEMO_DIR (default /var/lib/mez/demo), MEZ_DEMO_PORT (default 8080). The zone is pk-sifc on the
# shipped packs/pk; with ../shared beside the checkout its lawpack is also validated against the Akoma Ntoso XSD.
set -euo pipefail

daemon=0
install_only=0
for a in "$@"; do
    case "$a" in
        --daemon|-d) daemon=1 ;;
        --install-only) install_only=1 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "demo.sh: unknown argument '$a' (try --help)" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh installs packages and software and runs httpd as www-data: run it as root (sudo bash $0)" >&2
    exit 2
fi

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
demo=${MEZ_DEMO_DIR:-/var/lib/mez/demo}
port=${MEZ_DEMO_PORT:-8080}
zone=pk-sifc   # the shipped Pakistan zone: packs/pk (its packs are checked against packs/pk/stack.lock)
prefix=/usr/local
httpd=/usr/sbin/apache2
user=www-data
jobs=$(nproc 2>/dev/null || echo 2)
say() { printf '\n== %s\n' "$*"; }

# ------------------------------------------------------------------------------------------------ packages
PACKAGES=(build-essential autoconf automake libtool pkg-config apache2 apache2-dev libapr1-dev libaprutil1-dev
          libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql libssl-dev libjansson-dev libyaml-dev libxml2-dev
          libcurl4-openssl-dev libpq-dev libcunit1-dev sqlite3)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ------------------------------------------------------------------------------------------------ build, install
say "building in $top/build and installing under $prefix"
cd "$top"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q --prefix="$prefix"
make -s -j"$jobs"
make -s install
ldconfig
moddir=$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
mez="$prefix/bin/mez"
sqldir="$prefix/share/mez/sql"
confdir="$prefix/share/mez/conf"
"$mez" version
if [ "$install_only" = 1 ]; then
    echo "installed; bring a zone up with: mez deploy --profile sovereign-govos --jurisdiction pk-sifc --packs-dir $top/packs ..."
    exit 0
fi

# ------------------------------------------------------------------------------------------------ the zone
say "demo zone '$zone' in $demo"
conf="$demo/httpd.conf"
pidfile="$demo/run/httpd.pid"
mkdir -p "$demo/data" "$demo/run" "$demo/logs"
chmod 0755 "$demo" "$demo/run" "$demo/logs"

# A second run restarts the zone: stop the httpd a previous run left behind.
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "stopping the demo httpd that is running (pid $(cat "$pidfile"))"
    oldpid=$(cat "$pidfile")
    "$httpd" -d "$demo" -f "$conf" -k stop || kill "$oldpid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$oldpid" 2>/dev/null || break; sleep 0.1; done
fi

if [ -f "$demo/zone-key.pem" ]; then
    echo "keeping the existing key $demo/zone-key.pem"
else
    "$mez" keygen --out "$demo/zone-key.pem" | tee "$demo/did.txt"
fi
chown root:root "$demo/zone-key.pem"
chmod 0600 "$demo/zone-key.pem"   # read by the root parent at start-up only
did=$(grep -o 'did:key:z[1-9A-HJ-NP-Za-km-z]*' "$demo/did.txt" 2>/dev/null | head -n1 || true)

"$mez" db migrate --driver sqlite3 --params "$demo/data/mez.sqlite" --sql-dir "$sqldir"
chown -R "$user:$user" "$demo/data"   # httpd children write the SQLite file and its journal here

akn_line=""
xsd="$(cd "$top/.." && pwd)/shared/schemas/akn/akomantoso30.xsd"
[ -f "$xsd" ] && akn_line="MezAknSchema $xsd"

audit_include=""
[ -f "$confdir/mez.conf" ] && audit_include="Include $confdir/mez.conf
CustomLog $demo/logs/audit.log mez_audit"

cat > "$conf" <<EOF
# httpd.conf for the mez demo zone '$zone', written by scripts/demo.sh (rewritten on every run).
ServerRoot "$demo"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $pidfile
DefaultRuntimeDir $demo/run
Mutex file:$demo/run default
ErrorLog $demo/logs/error.log
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authn_core_module $moddir/mod_authn_core.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule dbd_module $moddir/mod_dbd.so
LoadModule mez_module $moddir/mod_mez.so
# The regulator console's static pages (conf/mez-regulator.conf): files, their types, the index, its headers.
LoadModule alias_module $moddir/mod_alias.so
LoadModule mime_module $moddir/mod_mime.so
LoadModule dir_module $moddir/mod_dir.so
LoadModule headers_module $moddir/mod_headers.so
TypesConfig /etc/mime.types
LogLevel warn mez:info
LogFormat "%h %l %u %t \"%r\" %>s %b %D" common
CustomLog $demo/logs/access.log common
$audit_include
User $user
Group $user
StartServers 1
ServerLimit 2
ThreadsPerChild 10
MaxRequestWorkers 20
MinSpareThreads 5
MaxSpareThreads 20

DBDriver sqlite3
DBDParams "$demo/data/mez.sqlite"
DBDMax 10
MezZone $zone
MezZoneFile $top/packs/pk/zone.yaml
MezProfileDir $top/profiles
$akn_line
MezKeyFile $demo/zone-key.pem
MezDataDir $demo/data
MezMaxBodySize 1048576
TraceEnable off
<Location />
  SetHandler mez-api
</Location>
# Who may call what (conf/mez-policy.conf): writes in the zone's name and its registers need an API token
# (mez token create --role operator|regulator|entity); the law, the health probes and verification stay public.
Include $top/conf/mez-policy.conf
# The regulator console at /regulator/ (docs/03-operate.md 3.9), from the installed pages.
Define MEZ_CONSOLE_DIR "$prefix/share/mez/htdocs/regulator"
Include "$confdir/mez-regulator.conf"
EOF

# An operator token for the demo, made once and kept root-only; the CLI runs as the httpd user so SQLite's
# side files stay writable by the children.
if [ ! -s "$demo/operator-token" ]; then
    ( umask 077; runuser -u "$user" -- "$mez" token create --driver sqlite3 --params "$demo/data/mez.sqlite" \
          --zone "$zone" --role operator > "$demo/operator-token.new" ) && mv "$demo/operator-token.new" "$demo/operator-token"
fi
# And a regulator's, for the console.
if [ ! -s "$demo/regulator-token" ]; then
    ( umask 077; runuser -u "$user" -- "$mez" token create --driver sqlite3 --params "$demo/data/mez.sqlite" \
          --zone "$zone" --role regulator --holder "demo regulator" > "$demo/regulator-token.new" ) \
        && mv "$demo/regulator-token.new" "$demo/regulator-token"
fi

"$httpd" -t -d "$demo" -f "$conf"

# Waits for /healthz, then prints GET /v1/zone (bash's /dev/tcp: no curl needed).
http_get() {
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
    sed '1,/^\r*$/d' <&3
    exec 3<&- 3>&-
}
wait_ready() {
    for _ in $(seq 100); do
        http_get /healthz >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
banner() {
    cat <<EOF

mez demo zone '$zone'${did:+ ($did)}
  http://127.0.0.1:$port/v1/zone
  http://127.0.0.1:$port/healthz
  http://127.0.0.1:$port/readyz
  try:  curl -s http://127.0.0.1:$port/v1/packs
        curl -s http://127.0.0.1:$port/v1/laws/sec_153
        curl -s -H 'Content-Type: application/json' http://127.0.0.1:$port/v1/compliance/evaluate \\
             -d '{"action":{"type":"payment","date":"2026-01-15","jurisdiction":"pk-sifc","payment_type":"services","amount":{"amount":"1000000","currency":"PKR"}},"subject":{"id":"did:example:payer","name":"Karachi Traders","entity_class":"company","filer_status":"filer"},"counterparty":{"id":"did:example:payee","name":"Indus Consulting","entity_class":"company","filer_status":"non_filer"}}'
        curl -s http://127.0.0.1:$port/v1/zone
        curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer \$(cat $demo/operator-token)" \\
             http://127.0.0.1:$port/v1/entities \\
             -d '{"entity_type":"corporation","legal_name":"Karachi Looms (Pvt) Ltd","compliance":{"evidence":{"kyc":{"state":"compliant"},"aml":{"state":"compliant"},"corporate":{"state":"compliant"}}}}'
        curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer \$(cat $demo/operator-token)" \\
             http://127.0.0.1:$port/v1/credentials/issue \\
             -d '{"credential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"credentialSubject":{"id":"did:example:alice"}},"options":{}}'
  regulator console: http://127.0.0.1:$port/regulator/  (sign in with the token in $demo/regulator-token)
  operator token (writes need it): $demo/operator-token; make more with
        runuser -u $user -- $mez token create --driver sqlite3 --params $demo/data/mez.sqlite --zone $zone --role operator
  logs: $demo/logs/error.log, $demo/logs/access.log
EOF
}

if [ "$daemon" = 1 ]; then
    say "starting httpd (daemon)"
    "$httpd" -d "$demo" -f "$conf" -k start
    if wait_ready; then
        echo "GET /v1/zone -> $(http_get /v1/zone)"
    else
        echo "httpd did not answer on 127.0.0.1:$port; see $demo/logs/error.log" >&2
        tail -n 20 "$demo/logs/error.log" >&2 || true
        exit 1
    fi
    banner
    echo "  stop: $httpd -d $demo -f $conf -k stop"
else
    banner
    echo "  stop: Ctrl-C (or, from another shell: $httpd -d $demo -f $conf -k stop)"
    say "running httpd in the foreground"
    ( wait_ready && echo "GET /v1/zone -> $(http_get /v1/zone)" ) &
    exec "$httpd" -d "$demo" -f "$conf" -DFOREGROUND
fi
