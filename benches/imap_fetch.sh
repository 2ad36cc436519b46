#!/usr/bin/env bash
# First sync of a big mailbox, side by side: `firstline fetch` straight from a local
# Dovecot, against the two steps it replaces — `mbsync` (isync) into a Maildir, then
# `firstline import` of that Maildir. Same messages, same server, same machine.
#
#   benches/imap_fetch.sh [N]       # N defaults to 10000
#
# Needs ../shared/data/mail (real messages to replay). Installs dovecot-imapd and isync
# from Debian when missing. Dovecot runs from a private config on a free 127.0.0.1
# port, as the tests run it (tests/support/dovecot.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
SRC=${FIRSTLINE_COMPARE_SOURCE:-../shared/data/mail}
WORK=$(mktemp -d /tmp/firstline-imap-bench.XXXXXX)
[ -d "$SRC" ] || { echo "no source mail at $SRC" >&2; exit 1; }

need=()
command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v mbsync >/dev/null || need+=(isync)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
PATH="$PATH:/usr/sbin"

# FIRSTLINE_BENCH_BINARY names an already built release binary (skips the build).
if [ -n "${FIRSTLINE_BENCH_BINARY:-}" ]; then
  FL=$FIRSTLINE_BENCH_BINARY
else
  cargo build --release --quiet --features dev
  FL="${CARGO_TARGET_DIR:-$PWD/target}/release/firstline"
fi

# ---- a private Dovecot, as the tests start it
USER_NAME=support@shop.example
PASSWORD=bench-Pa55word
if [ "$(id -u)" -eq 0 ]; then
  INTERNAL=dovecot LOGIN=dovenull
  MUID=$(id -u dovecot) MGID=$(id -g dovecot)
else
  INTERNAL=$(id -un) LOGIN=$(id -un) MUID=$(id -u) MGID=$(id -g)
fi
chmod 755 "$WORK"
mkdir -p "$WORK/run" "$WORK/state" "$WORK/home"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "$USER_NAME:{PLAIN}$PASSWORD:$MUID:$MGID::$WORK/home::" > "$WORK/passwd"
cat > "$WORK/dovecot.conf" <<EOF
base_dir = $WORK/run
state_dir = $WORK/state
log_path = $WORK/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $INTERNAL
default_login_user = $LOGIN
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $WORK/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $WORK/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
EOF
cleanup() { doveadm -c "$WORK/dovecot.conf" stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

# The mailbox: N real messages replayed with fresh Message-IDs, put straight into
# the server's Maildir, then indexed by Dovecot before anything is timed.
"$FL" dev maildir --count "$N" --out "$WORK/home/Maildir" "$SRC" >/dev/null
chown -R "$MUID:$MGID" "$WORK/home"
dovecot -c "$WORK/dovecot.conf"
for _ in $(seq 100); do
  doveadm -c "$WORK/dovecot.conf" mailbox status -u "$USER_NAME" messages INBOX >/dev/null 2>&1 && break
  sleep 0.1
done
doveadm -c "$WORK/dovecot.conf" index -u "$USER_NAME" INBOX
echo "machine: $(nproc) cores, $(uname -sr); $("$FL" --version); $(mbsync --version); $(dovecot --version)"
echo "mailbox: $(doveadm -c "$WORK/dovecot.conf" mailbox status -u "$USER_NAME" messages INBOX), $(du -sh "$WORK/home/Maildir" | cut -f1)"

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# ---- firstline fetch, straight from the server
cat > "$WORK/config.toml" <<EOF
[[mail.accounts]]
name = "bench"
imap = "127.0.0.1:$PORT"
user = "$USER_NAME"
password_env = "BENCH_IMAP_PASSWORD"
since = "all"
EOF
export BENCH_IMAP_PASSWORD=$PASSWORD
FETCH=$(secs "$FL" --db "$WORK/fetch.db" --config "$WORK/config.toml" --no-demo fetch)
FETCHED=$("$FL" --db "$WORK/fetch.db" --config "$WORK/config.toml" list --view all --limit 1000000 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')

# ---- mbsync into a Maildir, then firstline import
mkdir -p "$WORK/mbsync"
cat > "$WORK/mbsyncrc" <<EOF
IMAPAccount bench
Host 127.0.0.1
Port $PORT
User $USER_NAME
Pass $PASSWORD
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path $WORK/mbsync/
Inbox $WORK/mbsync/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
EOF
SYNC=$(secs mbsync -q -c "$WORK/mbsyncrc" bench)
IMPORT=$(secs "$FL" --db "$WORK/import.db" --config "$WORK/config.toml" --no-demo import "$WORK/mbsync/INBOX")
IMPORTED=$("$FL" --db "$WORK/import.db" --config "$WORK/config.toml" list --view all --limit 1000000 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
TWO=$(echo "$SYNC + $IMPORT" | bc -l)

rate() { echo "$N / $1" | bc -l | xargs printf '%.0f'; }
printf '%-34s %8s %10s\n' "first sync of $N messages" "seconds" "msg/s"
printf '%-34s %8.1f %10s\n' "firstline fetch (direct)" "$FETCH" "$(rate "$FETCH")"
printf '%-34s %8.1f %10s\n' "mbsync" "$SYNC" "$(rate "$SYNC")"
printf '%-34s %8.1f %10s\n' "firstline import of that Maildir" "$IMPORT" "$(rate "$IMPORT")"
printf '%-34s %8.1f %10s\n' "mbsync + import" "$TWO" "$(rate "$TWO")"
echo "tickets: fetch $FETCHED, mbsync+import $IMPORTED"
