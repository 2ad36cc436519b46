#!/usr/bin/env bash
# Key press to frame: drives the real console in a 200x60 tmux pane on a database
# (default: a fresh 100k-ticket / 1M-message `dev gen` archive) and reads the
# console's own log of how long each input took to reach the screen
# (FIRSTLINE_FRAME_LOG: from reading the key to the end of the frame that shows it).
# Also reports the console's peak RSS (VmHWM) and time to the first frame.
#
#   benches/keys.sh [DB]        # DB defaults to /tmp/firstline-1m.db (made if missing);
#                               # a postgres:// URL measures that queue (benches/pg_bench.sh)
#   STORE_DELAY_MS=50 benches/keys.sh [DB]   # the slow-store case: every command on
#                                            # the console's runner waits 50 ms first
#   FL=path/to/firstline benches/keys.sh     # a binary built elsewhere (no build)
#   KEEP_LOG=path benches/keys.sh            # keep the frame log (where the time went)
#
# Needs tmux (installed from Debian when missing). Target: key press to frame < 16 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:-/tmp/firstline-1m.db}
command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }
if [ -z "${FL:-}" ]; then
  cargo build --release --quiet --features dev
  FL="${CARGO_TARGET_DIR:-$PWD/target}/release/firstline"
fi
DELAY=${STORE_DELAY_MS:-}
# A postgres:// URL (benches/pg_bench.sh) is a queue already filled on a server.
if [[ "$DB" != postgres://* && "$DB" != postgresql://* && ! -f "$DB" ]]; then
  echo "generating $DB (100k tickets, 1M messages; takes a few minutes)"
  "$FL" dev gen --tickets 100000 --messages 1000000 --out "$DB" >/dev/null
fi
LOG=$(mktemp /tmp/firstline-keys.XXXXXX)
S=fl-keys-$$
# A session that keeps the tmux server alive between the timed runs: a run that
# ends before `wait-for` starts would otherwise take the server (and its signal)
# with it.
tmux new-session -d -s "$S-keep" -x 20 -y 5 "sleep 3600"
trap 'tmux kill-session -t "$S-keep" 2>/dev/null || true' EXIT
# One untimed start so the migration (if any) and the page cache are done.
FIRSTLINE_EXIT_AFTER_FIRST_FRAME=1 "$FL" --db "$DB" >/dev/null 2>&1 </dev/null || true

# Time to the first frame drawn at all (FIRSTLINE_EXIT_AFTER_FIRST_FRAME=draw:
# "Loading the list…"; a build without that mode waits for the complete one) and
# to the first complete frame (list and ticket read), from outside, ten runs each.
first=()
drawn=()
for _ in 1 2 3 4 5 6 7 8 9 10; do
  for mode in draw 1; do
    s=$(date +%s%N)
    tmux new-session -d -s "$S-f" -x 200 -y 60 \
      "FIRSTLINE_EXIT_AFTER_FIRST_FRAME=$mode $FL --db $DB; tmux wait-for -S $S-done"
    tmux wait-for "$S-done"
    e=$(date +%s%N)
    if [ "$mode" = draw ]; then drawn+=($(( (e - s) / 1000000 ))); else first+=($(( (e - s) / 1000000 ))); fi
  done
done

tmux new-session -d -s "$S" -x 200 -y 60 \
  "FIRSTLINE_STORE_DELAY_MS=$DELAY FIRSTLINE_FRAME_LOG=$LOG $FL --db $DB"
sleep 1.5
PID=$(pgrep -n -f "$FL --db $DB" || true)
key() { tmux send-keys -t "$S" "$@"; sleep 0.06; }
for _ in $(seq 40); do key j; done            # move down the inbox
for _ in $(seq 20); do key k; done            # and up
key 2; key G; key g; key 1                     # views, bottom and top of All
for _ in $(seq 10); do key Enter; key Escape; done   # open and close tickets
key Enter; for _ in $(seq 10); do key J; done; key Escape   # next ticket x10
key /; for c in i n v o i c e; do key "$c"; done; sleep 0.5; key Escape  # search as you type
key r; for c in H e l l o , ' ' t h a n k s; do key "$c"; done  # type in the composer
for _ in $(seq 13); do key BSpace; done       # and take it back: no draft left behind
key Escape; sleep 0.3
RSS=$(awk '/VmHWM/{print $2/1024 " MB"}' "/proc/$PID/status" 2>/dev/null || echo "n/a")
tmux send-keys -t "$S" q; sleep 0.5; tmux kill-session -t "$S" 2>/dev/null || true

python3 - "$LOG" "$RSS" "$(IFS=,; echo "${drawn[*]}")" "${first[@]}" <<'PY'
import sys
log, rss, first = sys.argv[1], sys.argv[2], sorted(int(x) for x in sys.argv[4:])
drawn = sorted(int(x) for x in sys.argv[3].split(","))
# Each line: microseconds key to frame, where and which key, then (newer builds)
# the microseconds of it spent handling messages, in the tick and drawing.
rows = [l.rstrip("\n").split("\t") for l in open(log) if l.strip()]
us = sorted(int(r[0]) for r in rows)
if not us:
    sys.exit("no frames were logged")
by = {}
for r in rows:
    by.setdefault(r[1] if len(r) > 1 else "?", []).append(int(r[0]) / 1000)
print("slowest inputs (where, key: count, max ms):",
      ", ".join(f"{k}: {len(v)}, {max(v):.1f}" for k, v in
                sorted(by.items(), key=lambda kv: -max(kv[1]))[:6]))
q = lambda p: us[min(len(us) - 1, int(p * len(us)))] / 1000
slow = sorted((r for r in rows if len(r) >= 5), key=lambda r: -int(r[0]))[:6]
if slow:
    print("slowest inputs, ms (handling / tick / draw):",
          ", ".join(f"{r[1]} {int(r[0])/1000:.1f} ({int(r[2])/1000:.1f} / "
                    f"{int(r[3])/1000:.1f} / {int(r[4])/1000:.1f})" for r in slow))
    med = lambda i: sorted(int(r[i]) for r in rows if len(r) >= 5)[len(rows) // 2] / 1000
    print(f"median handling {med(2):.2f} ms, tick {med(3):.2f} ms, draw {med(4):.2f} ms")
print(f"key press to frame over {len(us)} inputs: median {q(0.5):.2f} ms, "
      f"p95 {q(0.95):.2f} ms, max {us[-1]/1000:.2f} ms (target < 16 ms)")
print(f"first frame drawn (exec to exit after it, 10 runs, incl. tmux): "
      f"median {drawn[len(drawn)//2]} ms, min {drawn[0]} ms")
print(f"first complete frame (list and ticket; exec to exit after it, 10 runs, incl. tmux): "
      f"median {first[len(first)//2]} ms, min {first[0]} ms (target < 150 ms)")
print(f"peak RSS of the console after the session: {rss} (target < 150 MB)")
PY
if [ -n "${KEEP_LOG:-}" ]; then cp "$LOG" "$KEEP_LOG"; fi
rm -f "$LOG"
