#!/bin/bash
# How long a new, empty follower takes to copy and index a primary's listings
# (docs/SCALING.md). Builds N synthetic listings with the search bench (--with-store),
# serves them as a primary with a follow token, starts a follower on an empty data
# directory, and times until both index the same number of listings. Release build;
# needs curl and bc. Not part of `cargo test`.
#
#   cargo build --release --features bench --bin signpost --bench search
#   benches/follow/catch-up.sh 100000
#
# Ports 4101 and 4102 on 127.0.0.1; everything is written to a temporary directory,
# deleted at the end.
set -u
T=${CARGO_TARGET_DIR:-target}/release
B=$T/signpost
N=${1:-100000}
D=$(mktemp -d)
trap 'kill $A $F 2>/dev/null; rm -rf "$D"' EXIT
BENCH=$(ls -t "$T"/deps/search-* | grep -v '\.d$' | head -1)
"$BENCH" --listings "$N" --queries 1 --with-store --dir "$D/data" > "$D/bench.log" 2>&1 \
    || { cat "$D/bench.log"; exit 1; }
printf 'follow_token = "catch-up-measurement-token"\n' > "$D/cfg.toml"
"$B" --data-dir "$D/data/store" --config "$D/cfg.toml" serve --no-demo --addr 127.0.0.1:4101 2> "$D/a.log" &
A=$!
for _ in $(seq 1 600); do curl -sf http://127.0.0.1:4101/healthz > /dev/null && break; sleep 0.1; done
count() { curl -s "$1/healthz" | sed 's/.*"listings_indexed":\([0-9]*\).*/\1/'; }
NA=$(count http://127.0.0.1:4101)
start=$(date +%s.%N)
"$B" --data-dir "$D/b" --config "$D/cfg.toml" serve --follow http://127.0.0.1:4101 --addr 127.0.0.1:4102 2> "$D/b.log" &
F=$!
until [ "$(count http://127.0.0.1:4102)" = "$NA" ]; do sleep 0.2; done
end=$(date +%s.%N)
echo "primary: $NA listings; an empty follower caught up in $(echo "$end - $start" | bc) s"
grep -E 'VmRSS|VmHWM' /proc/$F/status
du -sh "$D/b/signpost.db" "$D/b/tantivy"
