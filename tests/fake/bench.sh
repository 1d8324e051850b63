#!/bin/sh
# bench.sh -- throughput of unicrm-fake for simple GETs with keep-alive (wrk), the fake pinned to one core.
#   sh tests/fake/bench.sh [seconds]       (needs wrk and taskset; prints wrk's summary lines)
set -eu
secs=${1:-5}
bin=${UCRM_FAKE_BIN:-build/bin/unicrm-fake}
out=$(mktemp)
taskset -c 0 "$bin" --seed 10 --hubspot-rate 100000000/10000 --hubspot-daily 100000000 \
    --salesforce-daily 100000000 > "$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
i=0
while ! grep -q listening "$out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
url=$(sed -n 's/^listening on //p' "$out")
tok=$(curl -s -X POST "$url/services/oauth2/token" \
    -d 'grant_type=client_credentials&client_id=test-client&client_secret=test-secret' |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
sfid=$(curl -s "$url/__fake/records/salesforce/Contact" | sed -n 's/.*"Id":"\(003[A-Za-z0-9]*\)".*/\1/p' | head -c 18)
echo "HubSpot GET /crm/v3/objects/contacts/{id}:"
taskset -c 1 wrk -t1 -c4 -d"${secs}s" -H 'Authorization: Bearer pat-test' "$url/crm/v3/objects/contacts/10001" |
    grep -E 'Latency|Requests/sec'
echo "Salesforce GET /services/data/v59.0/sobjects/Contact/{id}:"
taskset -c 1 wrk -t1 -c4 -d"${secs}s" -H "Authorization: Bearer $tok" "$url/services/data/v59.0/sobjects/Contact/$sfid" |
    grep -E 'Latency|Requests/sec'
curl -s "$url/__fake/stats" | sed -n 's/.*"status":\({[^}]*}\).*/statuses: \1/p'
