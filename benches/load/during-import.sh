#!/bin/bash
# The whole site under HTTP load while an import comes in and the server rebuilds its
# index (BENCHMARKS.md, "Under HTTP load at 1,000,000 listings"): serves DATA_DIR with
# the release binary, warms up for 10 s, then runs wrk with benches/load/mix.lua for
# SECONDS at CONNECTIONS while `signpost import` reads ITEMS new items from the harvest
# bench's synthetic RPDE feed into the same data directory. The server indexes them as
# they are stored and, once a quarter of the index came in out of order, rebuilds it
# from the store, all while answering. Prints wrk's figures, the import's time, the
# server's rebuild from its log, and resident memory (before, after, peak).
#
#   cargo build --release --locked --bin signpost
#   cargo bench --features bench --bench harvest --no-run
#   benches/load/during-import.sh target/tmp/bench-1000000-42/store 250000 8 300
#
# Needs wrk (Debian: apt-get install wrk). Not part of `cargo test`. Each run adds
# ITEMS listings to DATA_DIR under a new source name.
set -u
cd "$(dirname "$0")/../.."
DIR=${1:?usage: benches/load/during-import.sh DATA_DIR [ITEMS] [CONNECTIONS] [SECONDS]}
ITEMS=${2:-250000}
CONNS=${3:-8}
SECS=${4:-300}
BIN=target/release/signpost
FEED_BIN=$(ls -t target/release/deps/harvest-* 2>/dev/null | grep -v '\.d$' | head -1)
PORT=8190
FEED=127.0.0.1:8191
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
[ -x "$FEED_BIN" ] || { echo "build the feed first: cargo bench --features bench --bench harvest --no-run"; exit 2; }

"$FEED_BIN" --serve "$FEED" --items "$ITEMS" > /tmp/during-import-feed.log 2>&1 &
FEED_PID=$!
"$BIN" --data-dir "$DIR" serve --addr 127.0.0.1:$PORT > /tmp/during-import-serve.log 2>&1 &
PID=$!
trap 'kill $FEED_PID $PID 2>/dev/null' EXIT
until curl -s "http://127.0.0.1:$PORT/api/search?q=walking" | grep -q '"total":[1-9]'; do sleep 0.2; done
rss() { grep -E "VmRSS|RssAnon|RssFile" /proc/$PID/status | tr -s ' ' | tr '\n' ' '; echo; }
echo "RSS before: $(rss)"
wrk -t2 -c"$CONNS" -d10s -s benches/load/mix.lua http://127.0.0.1:$PORT > /dev/null 2>&1
echo "RSS after warm-up: $(rss)"
# Peak resident memory, sampled every second.
( peak=0; while kill -0 $PID 2>/dev/null; do
    r=$(awk '/VmRSS/ {print $2}' /proc/$PID/status 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$peak" ] && peak=$r && echo "$peak" > /tmp/during-import-peak
    sleep 1
  done ) &
LISTINGS=${LISTINGS:-1000000} wrk -t2 -c"$CONNS" -d"$SECS"s --latency -s benches/load/mix.lua \
    http://127.0.0.1:$PORT > /tmp/during-import-wrk.txt 2>&1 &
WRK=$!
sleep 5
t0=$(date +%s)
"$BIN" --data-dir "$DIR" import "http://$FEED/feed" --format rpde \
    --source-name "import-under-load-$(date +%s)" 2>&1 | tail -4
echo "import took $(( $(date +%s) - t0 )) s (wrk started 5 s before it)"
wait $WRK
cat /tmp/during-import-wrk.txt
echo "RSS after: $(rss)"
echo "RSS peak: $(( $(cat /tmp/during-import-peak) / 1024 )) MB"
echo "server log, rebuilding and the last indexing:"
sed 's/\x1b\[[0-9;]*m//g' /tmp/during-import-serve.log | grep -E "rebuil"
sed 's/\x1b\[[0-9;]*m//g' /tmp/during-import-serve.log | grep -E "indexed changes" | tail -2
kill $PID; wait $PID
echo "serve exit $?"
