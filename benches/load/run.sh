#!/bin/bash
# The whole site under HTTP load (BENCHMARKS.md, "Under HTTP load at 1,000,000
# listings"): serves a data directory with the release binary, waits for the first
# answered search, warms up for 10 s, then runs wrk with benches/load/mix.lua for 60 s
# at 64 connections, printing resident memory before and after.
#
#   cargo bench --features bench --bench search -- --listings 1000000 --queries 300 --with-store
#   cargo build --release --locked --bin signpost
#   benches/load/run.sh target/tmp/bench-1000000-42/store
#
# Needs wrk (Debian: apt-get install wrk). Not part of `cargo test`. For the run during
# a harvest, serve the harvest bench's feed (`target/release/deps/harvest-… --serve
# 127.0.0.1:8191 --items 100000`) and start serve with a config that harvests it
# (`harvest_every_seconds = 5`, a sources file with that feed): see BENCHMARKS.md.
set -u
cd "$(dirname "$0")/../.."
DIR=${1:?usage: benches/load/run.sh DATA_DIR [CONNECTIONS] [SECONDS]}
CONNS=${2:-64}
SECS=${3:-60}
BIN=target/release/signpost
PORT=8190
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }
"$BIN" --data-dir "$DIR" serve --addr 127.0.0.1:$PORT > /tmp/load-serve.log 2>&1 &
PID=$!
t0=$(date +%s%N)
until curl -s "http://127.0.0.1:$PORT/api/search?q=walking" | grep -q '"total":[1-9]'; do sleep 0.2; done
echo "ready after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
rss() { grep -E "VmRSS|RssAnon|RssFile" /proc/$PID/status | tr -s ' ' | tr '\n' ' '; echo; }
echo "RSS before: $(rss)"
# warm-up, not counted
wrk -t2 -c"$CONNS" -d10s -s benches/load/mix.lua http://127.0.0.1:$PORT > /dev/null 2>&1
echo "RSS after warm-up: $(rss)"
LISTINGS=${LISTINGS:-1000000} wrk -t2 -c"$CONNS" -d"$SECS"s --latency -s benches/load/mix.lua http://127.0.0.1:$PORT
echo "RSS after: $(rss)"
kill $PID; wait $PID
echo "serve exit $?"
