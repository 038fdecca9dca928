#!/usr/bin/env bash
# The README's demo: Microsoft's change-tracking sample (sample_book) replayed against the emulator,
# synced by dvsync into demo/mirror.db, beside the emulator's account and contact tables, which
# dvsync mirrors from their metadata alone. Called by `./run demo` with the build directory.
# DVSYNC_DEMO_DIR (default demo/) and DVSYNC (a command to run instead of BUILD_DIR's dvsync, such
# as the container image: tests/packaging/container_test.sh) let the same demo run elsewhere.
set -euo pipefail
build=${1:?usage: tools/demo.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
demo=${DVSYNC_DEMO_DIR:-$root/demo}
emulator=$build/emulator/dataverse-emulator
dvsync=${DVSYNC:-$build/daemon/dvsync}
client_id=dvsync-demo-client
export DVSYNC_CLIENT_SECRET=dvsync-demo-secret   # the emulator's demo credentials, not a real secret

rm -rf "$demo" && mkdir -p "$demo"
"$emulator" --listen 127.0.0.1:0 --port-file "$demo/emulator.port" \
  --client-id "$client_id" --client-secret "$DVSYNC_CLIENT_SECRET" >"$demo/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/emulator.port" ] && break; sleep 0.05; done
port=$(cat "$demo/emulator.port")
base=http://127.0.0.1:$port
api=$base/api/data/v9.2

sed -e "s|@BASE@|$base|g" -e "s|@DB@|$demo/mirror.db|g" -e "s|@CLIENT_ID@|$client_id|g" \
  "$root/config/demo.json.in" >"$demo/dvsync.json"

token=$(curl -sf "$base/demo-tenant/oauth2/v2.0/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$client_id" \
  --data-urlencode "client_secret=$DVSYNC_CLIENT_SECRET" --data-urlencode "scope=$base/.default" |
  sed -E 's/.*"access_token":"([^"]+)".*/\1/')
call() {  # call METHOD PATH [JSON]
  curl -sf -X "$1" "$api/$2" -H "Authorization: Bearer $token" -H "Accept: application/json" \
    -H "OData-MaxVersion: 4.0" -H "OData-Version: 4.0" -H "Content-Type: application/json" ${3:+--data "$3"} >/dev/null
}
create_books() {  # create_books FIRST LAST
  for i in $(seq "$1" "$2"); do
    call POST sample_books "{\"sample_name\":\"Demo Book $i\",\"sample_bookcode\":\"BookCode$i\",\"sample_author\":\"Author$i\"}"
  done
}

control() {  # control PATH JSON
  curl -sf -X POST "$base/_emulator/$1" --data "$2" >/dev/null
}

echo "== 1. Create 10 books (Demo Book 0-9) in Dataverse (the emulator at $base), and 25 contacts and 25 accounts"
create_books 0 9
control seed '{"entity_set":"contacts","count":25,"seed":7}'
control seed '{"entity_set":"accounts","count":25,"seed":7}'
echo "== 2. The organization's tables, and what dvsync would make of account"
"$dvsync" discover --config "$demo/dvsync.json" 2>>"$demo/dvsync.log"
"$dvsync" discover --config "$demo/dvsync.json" --table account 2>>"$demo/dvsync.log" | tail -n 1 | fold -w 120
echo "== 3. Initial sync into demo/mirror.db"
"$dvsync" once --config "$demo/dvsync.json" 2>>"$demo/dvsync.log"
fed_by_first_sync=$(sqlite3 "file:$demo/mirror.db?mode=ro" "SELECT coalesce(max(seq), 0) FROM dvsync_feed")
echo "== 4. Create 10 more books, rename BookCode0, delete BookCode1; change 20% of the accounts"
create_books 10 19
control mutate '{"entity_set":"accounts","fraction":0.2,"seed":8}'
call PATCH "sample_books(sample_bookcode='BookCode0')" "{\"sample_name\":\"Demo Book 0 updated $(date +%H:%M)\"}"
call DELETE "sample_books(sample_bookcode='BookCode1')"
echo "== 5. Second sync: only the changes travel"
"$dvsync" once --config "$demo/dvsync.json" 2>>"$demo/dvsync.log"
echo "== 6. The mirror now"
sqlite3 -header -column "file:$demo/mirror.db?mode=ro" \
  "SELECT sample_bookcode, sample_name, sample_author FROM sample_book ORDER BY length(sample_bookcode), sample_bookcode;"
echo
echo "Accounts with their choice labels (the view account_labeled), largest revenue first:"
sqlite3 -header -column "file:$demo/mirror.db?mode=ro" \
  "SELECT name, revenue, industrycode_label AS industry, statuscode_label AS status, sample_channels_label AS channels
   FROM account_labeled ORDER BY revenue DESC LIMIT 5;"
echo
echo "What the second sync changed in sample_book, as its change feed (dvsync_feed) has it:"
sqlite3 -header -column "file:$demo/mirror.db?mode=ro" \
  "SELECT seq, op, key_value AS bookcode, json_extract(row, '\$.sample_name') AS name FROM dvsync_feed
   WHERE seq > $fed_by_first_sync ORDER BY seq;"
echo
echo "BookCode0's versions (mode history: sample_book_history):"
sqlite3 -header -column "file:$demo/mirror.db?mode=ro" \
  "SELECT sample_name, dvsync_version AS version, datetime(dvsync_valid_from, 'unixepoch') AS valid_from,
          datetime(dvsync_valid_to, 'unixepoch') AS valid_to
   FROM sample_book_history WHERE sample_bookcode = 'BookCode0' ORDER BY dvsync_valid_from;"
"$dvsync" status --config "$demo/dvsync.json"
echo
echo "== 7. Proof: every row and every value of the mirror against Dataverse (dvsync verify --values)"
"$dvsync" verify --values --config "$demo/dvsync.json" 2>>"$demo/dvsync.log"
kill "$emulator_pid" && wait "$emulator_pid" 2>/dev/null || true
trap - EXIT
echo
echo "The emulator is stopped; the mirror stays. Inspect it with:"
echo "  sqlite3 'file:demo/mirror.db?mode=ro' 'SELECT * FROM sample_book;'"
echo "  sqlite3 'file:demo/mirror.db?mode=ro' 'SELECT * FROM account_labeled;'"
echo "  python3 docs/examples/feed_consumer.py demo/mirror.db demo/replica.db   # a replica kept by the feed"
