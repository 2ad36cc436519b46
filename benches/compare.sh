#!/usr/bin/env bash
# Side by side with the tools a terminal user would otherwise pick for offline mail:
# builds one Maildir of N messages replayed from real mail, indexes it with
# `firstline import`, `notmuch new` and `mu index`, runs the same five searches with
# each, and prints times and ratios (firstline / peer; below 1 means firstline is faster).
#
#   benches/compare.sh [N]          # N defaults to 100000
#   FL=path/to/firstline benches/compare.sh 20000   # another build (e.g. the previous commit's)
#
# Needs ../shared/data/mail (the real messages to replay). Installs notmuch,
# maildir-utils (mu) and hyperfine from Debian when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
SRC=${FIRSTLINE_COMPARE_SOURCE:-../shared/data/mail}
WORK=${FIRSTLINE_COMPARE_DIR:-$(mktemp -d /tmp/firstline-compare.XXXXXX)}
[ -d "$SRC" ] || { echo "no source mail at $SRC" >&2; exit 1; }

need=()
command -v notmuch >/dev/null || need+=(notmuch)
command -v mu >/dev/null || need+=(maildir-utils)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v bc >/dev/null || need+=(bc)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -z "${FL:-}" ]; then
  cargo build --release --quiet --features dev
  FL="${CARGO_TARGET_DIR:-$PWD/target}/release/firstline"
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
echo "versions: $($FL --version); $(notmuch --version); $(mu --version | head -1)"
echo "work dir: $WORK"

MD="$WORK/Maildir"
rm -rf "$MD"
"$FL" dev maildir --count "$N" --out "$MD" "$SRC" >/dev/null
echo "maildir: $N messages, $(du -sh "$MD" | cut -f1)"

# Wall seconds of a command; its CPU seconds (user + system) go to $WORK/cpu.txt, one
# line a command: on a shared machine the wall time is mostly waiting for a core.
secs() {
  local s e
  s=$(date +%s.%N)
  /usr/bin/time -f "%U + %S" -o "$WORK/time.txt" "$@" >/dev/null 2>&1
  e=$(date +%s.%N)
  bc -l < "$WORK/time.txt" >> "$WORK/cpu.txt"
  echo "$e - $s" | bc -l
}
rm -f "$WORK/cpu.txt"

# --- indexing
rm -f "$WORK"/fl.db*
fl_index=$(secs "$FL" --no-demo --db "$WORK/fl.db" import "$MD")

export NOTMUCH_CONFIG="$WORK/notmuch-config"
printf '[database]\npath=%s\n[new]\ntags=inbox;\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=false\n' "$MD" > "$NOTMUCH_CONFIG"
rm -rf "$MD/.notmuch"
nm_index=$(secs notmuch new --quiet)

MUHOME="$WORK/mu"
rm -rf "$MUHOME"
mu init --muhome="$MUHOME" --maildir="$MD" >/dev/null
mu_index=$(secs mu index --muhome="$MUHOME" --quiet)

rate() { echo "$N / $1" | bc -l | xargs printf '%.0f'; }
printf '\n%-26s %12s %12s %12s %10s %10s\n' "indexing $N messages" firstline notmuch mu "fl/nm" "fl/mu"
printf '%-26s %11.1fs %11.1fs %11.1fs %10.2f %10.2f\n' "wall time" "$fl_index" "$nm_index" "$mu_index" \
  "$(echo "$fl_index / $nm_index" | bc -l)" "$(echo "$fl_index / $mu_index" | bc -l)"
printf '%-26s %12s %12s %12s\n' "messages/s" "$(rate "$fl_index")" "$(rate "$nm_index")" "$(rate "$mu_index")"
mapfile -t cpu < "$WORK/cpu.txt"
printf '%-26s %11.1fs %11.1fs %11.1fs %10.2f %10.2f\n' "CPU time" "${cpu[0]}" "${cpu[1]}" "${cpu[2]}" \
  "$(echo "${cpu[0]} / ${cpu[1]}" | bc -l)" "$(echo "${cpu[0]} / ${cpu[2]}" | bc -l)"
printf '%-26s %12s %12s %12s\n' "messages per CPU second" "$(rate "${cpu[0]}")" "$(rate "${cpu[1]}")" "$(rate "${cpu[2]}")"

# --- searches: mean of repeated runs, top 50 results each
# "wall CPU": mean wall ms and mean CPU ms (user + system) of the runs.
mean() { hyperfine -i --runs "${RUNS:-10}" --warmup 2 --export-json "$WORK/h.json" -N "$1" >/dev/null 2>&1 \
         && python3 -c "import json;r=json.load(open('$WORK/h.json'))['results'][0];print(r['mean']*1000, (r['user']+r['system'])*1000)"; }
printf '\n%-26s %12s %12s %12s %10s %10s   %s\n' "search (ms, top 50)" firstline notmuch mu "fl/nm" "fl/mu" \
  "CPU ms: firstline notmuch mu"
while IFS='|' read -r label fl nm mu; do
  read -r a ac <<<"$(mean "$FL --db $WORK/fl.db search --limit 50 $fl")"
  read -r b bc_ <<<"$(mean "notmuch search --limit=50 $nm")"
  read -r c cc <<<"$(mean "mu find --muhome=$MUHOME --maxnum=50 $mu")"
  printf '%-26s %12.1f %12.1f %12.1f %10.2f %10.2f   %.1f %.1f %.1f\n' "$label" "$a" "$b" "$c" \
    "$(echo "$a / $b" | bc -l)" "$(echo "$a / $c" | bc -l)" "$ac" "$bc_" "$cc"
done <<'QUERIES'
common word|the|the|the
rare word|zanzibar|zanzibar|zanzibar
phrase|"mailing list"|"mailing list"|"mailing list"
prefix|unsubscr*|unsubscr*|unsubscr*
cyrillic|привет|привет|привет
QUERIES
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(process start-up is included for all three; each search is a fresh process;"
echo " CPU time is user + system, the figure to compare when other work shares the cores)"
