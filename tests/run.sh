#!/usr/bin/env bash
# The test command (the README's second opening line, and CI's test step): installs
# what the tests need when it is missing, then runs the whole suite. The live-mail
# tests start a real Dovecot from a private config (tests/support/dovecot.rs) and the
# delivery tests a real SMTP server (aiosmtpd, tests/support/smtp.rs) and the PostgreSQL
# backend's tests a throwaway cluster (initdb, tests/support/pg.rs), so the machine
# needs their programs, nothing else: no service, no system configuration.
# Works on a fresh Debian/Ubuntu machine as root (or with sudo); installs nothing when
# everything is there. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
has dovecot && has doveadm || missing+=(dovecot-imapd)
aiosmtpd() {
    for py in python3 /usr/bin/python3; do
        "$py" -c 'import aiosmtpd' >/dev/null 2>&1 && return 0
    done
    return 1
}
aiosmtpd || missing+=(python3-aiosmtpd)
# The PostgreSQL backend's tests initdb a throwaway cluster (tests/support/pg.rs).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "tests/run.sh: the tests need ${missing[*]} (Dovecot, Python's aiosmtpd, PostgreSQL); install them with your package manager" >&2
        exit 1
    fi
    echo "== installing ${missing[*]} for the live-mail, delivery and PostgreSQL tests"
    "${sudo[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y "${missing[@]}"
fi

exec cargo test --locked "$@"
