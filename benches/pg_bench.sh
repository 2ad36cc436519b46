#!/usr/bin/env bash
# Team mode at a million messages (issue 19): makes a throwaway PostgreSQL cluster in
# a temp folder (initdb; as root the server runs as Debian's `postgres` user), fills
# a queue on it, measures the queue benchmarks of `cargo bench --bench store` against
# it (inbox first page, needs-reply count, a 200-message thread, search: common,
# rare, phrase, prefix, Cyrillic) and the console's key press to frame
# (`benches/keys.sh` on the URL), then stops the server and removes the folder.
# Prints the fill time and the machine's load before each part.
#
# The fill: `firstline dev gen` straight onto PostgreSQL writes ~50 messages/s on
# this shared machine (one round trip per statement, several per message: 1M would
# take hours), and `copy` loads the whole queue into memory first. So the queue is
# generated into a SQLite file (`dev gen --out`, the same generator and ledger as
# the SQLite figures), its tables moved with PostgreSQL's COPY (sqlite3 -> psql),
# and the search vectors built in SQL with the `simple` configuration over text
# lower-cased, ё folded to е and split on non-alphanumerics as firstline splits it
# (Latin accents are not folded there: timing, not answers, is measured here).
# FILL=gen uses `dev gen` onto PostgreSQL instead (fine for 10k messages).
#
#   benches/pg_bench.sh                      # 100k tickets, 1M messages
#   TICKETS=10000 MESSAGES=100000 benches/pg_bench.sh
#   SRC=big.db benches/pg_bench.sh           # move an existing dev gen file
#   FL=path/to/firstline benches/pg_bench.sh # a binary built elsewhere (--features dev)
#   KEEP=1 benches/pg_bench.sh               # leave the cluster running; prints its URL
#   SKIP=keys,store benches/pg_bench.sh     # leave parts out (just make and fill)
#   CONFIGS=1 benches/pg_bench.sh            # also time the search options (below)
#   STORE_BY=test benches/pg_bench.sh        # store timings from tests/team_pg_bench.rs
#                                            # (debug build, CPU time too) instead of cargo bench
#
# The server gets shared_buffers=512MB and, for the fill only, fsync=off and
# synchronous_commit=off (a benchmark cluster thrown away after; reads are not
# affected). Needs PostgreSQL (apt-get install -y postgresql), sqlite3, and tmux
# for keys.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
TICKETS=${TICKETS:-100000}
MESSAGES=${MESSAGES:-1000000}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2; exit 1; }
if [ -z "${FL:-}" ]; then
  cargo build --release --quiet --features dev
  FL="${CARGO_TARGET_DIR:-$PWD/target}/release/firstline"
fi
WORK=$(mktemp -d /tmp/fl-pgbench.XXXXXX)
chmod 755 "$WORK"
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_server "$BIN/initdb" -D "$WORK/data" -A trust -U firstline -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
start() {
  as_server "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w \
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c shared_buffers=512MB $*" start >/dev/null
}
stop() { as_server "$BIN/pg_ctl" -D "$WORK/data" -m fast -w stop >/dev/null 2>&1 || true; }
cleanup() {
  if [ -z "${KEEP:-}" ]; then stop; rm -rf "$WORK"; fi
}
trap cleanup EXIT
start -c fsync=off -c synchronous_commit=off -c full_page_writes=off
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U firstline queue
URL="postgres://firstline@127.0.0.1:$PORT/queue"
echo "cluster: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') in $WORK, $URL"
echo "load before the fill: $(cut -d' ' -f1-3 /proc/loadavg)"
PSQL=("$BIN/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U firstline queue)
s=$(date +%s)
if [ "${FILL:-copy}" = gen ]; then
  /usr/bin/time -f "fill CPU (firstline): user %U s, system %S s" \
    "$FL" --db "$URL" dev gen --tickets "$TICKETS" --messages "$MESSAGES" 2>&1 | tr '\r' '\n' | grep -v "messages written$" || true
else
  if [ -z "${SRC:-}" ]; then
    SRC="$WORK/gen.db"
    /usr/bin/time -f "dev gen into SQLite, CPU: user %U s, system %S s" \
      "$FL" dev gen --tickets "$TICKETS" --messages "$MESSAGES" --out "$SRC" 2>&1 | tr '\r' '\n' | grep -v "messages written$" || true
    echo "dev gen wall time: $(( $(date +%s) - s )) s"
  fi
  "$FL" --db "$URL" doctor >/dev/null   # the schema, made by firstline
  move() {  # table, columns
    sqlite3 -csv -nullvalue '\N' "$SRC" "SELECT $2 FROM $1" |
      "${PSQL[@]}" -c "\\copy $1($2) FROM STDIN (FORMAT csv, NULL '\\N')"
  }
  "${PSQL[@]}" -c "DELETE FROM customer_addresses; DELETE FROM customers;"
  move customers "id, name, phone, language, formality, notes, created_at"
  move customer_addresses "kind, value, customer_id"
  move tickets "id, subject, status, priority, channel, tags, assignee, customer_id, created_at, updated_at, first_response_at, resolved_at, snoozed_until, escalated_to, escalation_reason, escalated_at, awaiting_reply_since, unread, version, thread_subject"
  move messages "id, ticket_id, direction, author, body, html_body, sent_at, message_id, in_reply_to, refs, attachments, canned_id, canned_edited"
  move events "id, ticket_id, at, actor, kind, old, new"
  "${PSQL[@]}" <<'SQL'
CREATE FUNCTION pg_temp.fold(t TEXT) RETURNS TEXT IMMUTABLE LANGUAGE sql
  AS $$ SELECT regexp_replace(translate(lower(t), 'ё', 'е'), '[^[:alnum:]]+', ' ', 'g') $$;
INSERT INTO search_index(message_id, doc)
SELECT m.id,
       setweight(to_tsvector('simple', pg_temp.fold(t.subject)), 'A')
    || setweight(to_tsvector('simple', pg_temp.fold(left(m.body, 262144))), 'B')
    || setweight(to_tsvector('simple', pg_temp.fold(c.name || ' ' || coalesce(
         (SELECT string_agg(value, ' ') FROM customer_addresses a WHERE a.customer_id = c.id), ''))), 'C')
FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN customers c ON c.id = t.customer_id;
SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT max(id) FROM customers));
SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets));
SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages));
SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events));
SQL
fi
echo "fill wall time: $(( $(date +%s) - s )) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"${PSQL[@]}" -c "VACUUM ANALYZE" >/dev/null
echo "size: $("$BIN/psql" -At -h 127.0.0.1 -p "$PORT" -U firstline queue -c "SELECT pg_size_pretty(pg_database_size('queue'))")"
# The search options of issue 19 side by side (CONFIGS=1): the same folded text of
# every message (subject, body) as a tsvector under simple, english, russian and a
# Hunspell Ukrainian dictionary (Debian hunspell-uk), each with a GIN index, and
# pg_trgm's trigram index under ILIKE; the best of 5 runs of count(*) of the matches
# for each query, in ms, inside the server (no client, no network).
if [ -n "${CONFIGS:-}" ]; then
  echo "load before the search options: $(cut -d' ' -f1-3 /proc/loadavg)"
  "${PSQL[@]}" <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TEXT SEARCH DICTIONARY uk_hunspell (TEMPLATE = ispell, DictFile = uk_ua, AffFile = uk_ua);
CREATE TEXT SEARCH CONFIGURATION firstline_uk (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION firstline_uk ALTER MAPPING FOR word, hword, hword_part, asciiword, asciihword WITH uk_hunspell, simple;
CREATE TABLE bench_text AS SELECT m.id, regexp_replace(translate(lower(t.subject || ' ' || left(m.body, 262144)), 'ё', 'е'), '[^[:alnum:]]+', ' ', 'g') AS text
  FROM messages m JOIN tickets t ON t.id = m.ticket_id;
\timing on
CREATE TABLE bench_simple AS SELECT id, to_tsvector('simple', text) AS doc FROM bench_text;
CREATE TABLE bench_english AS SELECT id, to_tsvector('english', text) AS doc FROM bench_text;
CREATE TABLE bench_russian AS SELECT id, to_tsvector('russian', text) AS doc FROM bench_text;
CREATE TABLE bench_firstline_uk AS SELECT id, to_tsvector('firstline_uk', text) AS doc FROM bench_text;
CREATE INDEX ON bench_simple USING gin (doc);
CREATE INDEX ON bench_english USING gin (doc);
CREATE INDEX ON bench_russian USING gin (doc);
CREATE INDEX ON bench_firstline_uk USING gin (doc);
CREATE INDEX ON bench_text USING gin (text gin_trgm_ops);
\timing off
ANALYZE;
CREATE FUNCTION pg_temp.ms(q TEXT) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE t0 TIMESTAMPTZ; best NUMERIC := 1e9; n BIGINT;
BEGIN
  FOR i IN 1..5 LOOP
    t0 := clock_timestamp(); EXECUTE q INTO n;
    best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
  RETURN round(best, 2) || ' ms (' || n || ')';
END $$;
SELECT c AS configuration,
  pg_temp.ms(format($q$SELECT count(*) FROM bench_%s WHERE doc @@ to_tsquery(%L, 'order')$q$, c, c)) AS common,
  pg_temp.ms(format($q$SELECT count(*) FROM bench_%s WHERE doc @@ to_tsquery(%L, 'firstlinenowhere')$q$, c, c)) AS rare,
  pg_temp.ms(format($q$SELECT count(*) FROM bench_%s WHERE doc @@ to_tsquery(%L, 'refund <-> payment')$q$, c, c)) AS phrase,
  pg_temp.ms(format($q$SELECT count(*) FROM bench_%s WHERE doc @@ to_tsquery(%L, 'pay:*')$q$, c, c)) AS prefix,
  pg_temp.ms(format($q$SELECT count(*) FROM bench_%s WHERE doc @@ to_tsquery(%L, 'повернення')$q$, c, c)) AS cyrillic,
  pg_temp.ms(format($q$SELECT count(*) FROM bench_%s WHERE doc @@ to_tsquery(%L, 'замовл:*')$q$, c, c)) AS cyrillic_prefix
FROM unnest(ARRAY['simple', 'english', 'russian', 'firstline_uk']) c
UNION ALL
SELECT 'pg_trgm ILIKE',
  pg_temp.ms($q$SELECT count(*) FROM bench_text WHERE text ILIKE '%order%'$q$),
  pg_temp.ms($q$SELECT count(*) FROM bench_text WHERE text ILIKE '%firstlinenowhere%'$q$),
  pg_temp.ms($q$SELECT count(*) FROM bench_text WHERE text ILIKE '%refund payment%'$q$),
  pg_temp.ms($q$SELECT count(*) FROM bench_text WHERE text ILIKE '%pay%'$q$),
  pg_temp.ms($q$SELECT count(*) FROM bench_text WHERE text ILIKE '%повернення%'$q$),
  pg_temp.ms($q$SELECT count(*) FROM bench_text WHERE text ILIKE '%замовл%'$q$);
DROP TABLE bench_simple, bench_english, bench_russian, bench_firstline_uk, bench_text;
SQL
fi
# Measured as a team runs it: fsync back on.
stop
start
if [[ "${SKIP:-}" != *store* && "${STORE_BY:-bench}" = test ]]; then
  # The same operations from the test profile (tests/team_pg_bench.rs), with CPU
  # time beside wall time: for a machine where the release bench build is out of reach.
  echo "load before the store timings: $(cut -d' ' -f1-3 /proc/loadavg)"
  FIRSTLINE_BENCH_URL="$URL" cargo test --test team_pg_bench -- --ignored --nocapture 2>&1 | grep -E "^\||tickets"
elif [[ "${SKIP:-}" != *store* ]]; then
  echo "load before cargo bench: $(cut -d' ' -f1-3 /proc/loadavg)"
  FIRSTLINE_BENCH_DB="$URL" cargo bench --features dev --bench store -- \
    --warm-up-time 1 --measurement-time 4 2>&1 | grep -E "^[a-z_/]+ +time:|^[a-z_/]+$|time:|using"
fi
if [[ "${SKIP:-}" != *keys* ]]; then
  echo "load before keys.sh: $(cut -d' ' -f1-3 /proc/loadavg)"
  FL="$FL" benches/keys.sh "$URL"
fi
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP:-}" ] && echo "kept: $URL (stop: $BIN/pg_ctl -D $WORK/data stop)"
exit 0
