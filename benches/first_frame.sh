#!/usr/bin/env bash
# Cold first frame: the first console start on a queue a bulk job has just written,
# when SQLite may have planner statistics to compute before the first query (issue 21:
# 19 s on a fresh 1M-message `dev gen` archive when `Store::open` ran an unbounded
# ANALYZE). Makes a fresh queue, then times, from outside:
#   - the first start to its first frame (exec to exit after it, in a 200x60 tmux pane),
#   - five later starts (median),
#   - `firstline check` on the same queue.
# Prints the load average with the figures: the build machine is shared.
#
#   benches/first_frame.sh gen [MESSAGES]     # `dev gen`, MESSAGES/10 tickets (default 200000)
#   benches/first_frame.sh import [MESSAGES]  # `dev maildir` from ../shared/data/mail, then `import`
#   benches/first_frame.sh copy QUEUE.db      # a copy of an existing queue (before/after
#                                             # on one database; QUEUE.db is not changed)
#
# FL=path/to/firstline times another build (e.g. the previous commit's) on the same
# shape; without it the release build of this tree is used. Needs tmux (installed from
# Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-gen}
N=${2:-200000}
command -v tmux >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null; }
if [ -z "${FL:-}" ]; then
  cargo build --release --quiet --features dev
  FL="${CARGO_TARGET_DIR:-$PWD/target}/release/firstline"
fi
WORK=$(mktemp -d /tmp/firstline-first-frame.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
DB="$WORK/queue.db"
CFG="$WORK/none.toml"
export FIRSTLINE_CONFIG="$CFG"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

case "$MODE" in
  gen)
    "$FL" --db "$DB" dev gen --tickets $((N / 10)) --messages "$N" --out "$DB" 2>/dev/null
    ;;
  import)
    "$FL" dev maildir --count "$N" --out "$WORK/Maildir" ../shared/data/mail >/dev/null
    s=$(date +%s%N)
    "$FL" --db "$DB" --no-demo import "$WORK/Maildir" >/dev/null
    echo "import of $N messages: $(ms "$s") ms"
    ;;
  copy)
    cp "$2" "$DB"
    ;;
  *) echo "usage: $0 gen|import [MESSAGES] | copy QUEUE.db" >&2; exit 2 ;;
esac

S=fl-first-$$
CPU="$WORK/cpu"
# Wall time from outside, and the console's own CPU time (user + system): on a
# shared machine the wall time includes waiting for a core, the CPU time does not.
frame() {
  local s
  s=$(date +%s%N)
  tmux new-session -d -s "$S" -x 200 -y 60 \
    "FIRSTLINE_CONFIG=$CFG FIRSTLINE_EXIT_AFTER_FIRST_FRAME=1 /usr/bin/time -o $CPU -f '%U %S' $FL --db $DB; tmux wait-for -S $S-done"
  tmux wait-for "$S-done"
  echo "$(ms "$s")/$(awk '{printf "%d", ($1 + $2) * 1000}' "$CPU")"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cold=$(frame)
warm=()
for _ in 1 2 3 4 5; do warm+=("$(frame)"); done
s=$(date +%s%N)
"$FL" --db "$DB" check >/dev/null 2>&1 || true
check=$(ms "$s")
sorted=($(printf '%s\n' "${warm[@]}" | sort -n))
echo "$MODE, $N messages, $FL (times: wall ms/CPU ms)"
echo "first frame after the job (cold): $cold; later starts: median ${sorted[2]} (${warm[*]})"
echo "firstline check afterwards: $check ms wall"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
