#!/bin/sh
# run_demo.sh FAKE DEMO [DEMO OPTIONS] -- what `make demo` runs: starts the local CRM fake on a free loopback port
# with realistic budgets (HubSpot 190 requests per rolling 10 s and 5 searches per second; a Salesforce
# Developer Edition's 15,000 requests per day), runs examples/sync_demo against it, and stops the fake whatever
# happens (end, failure, Ctrl-C). Exits with the demo's status.
set -u
fake=$1
demo=$2
shift 2
dir=$(mktemp -d "${TMPDIR:-/tmp}/unicrm-demo.XXXXXX") || exit 1
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Salesforce: an external-id field on Account and Contact (our upsert key: the HubSpot id) and a field for the
# lifecycle stage; HubSpot: a unique company property holding the Salesforce account id (its upsert key).
"$fake" --port 0 --hubspot-rate 190/10000 --hubspot-search-rate 5/1000 --salesforce-daily 15000 \
    --salesforce-custom-fields \
    Contact.External_Id__c:externalid,Account.External_Id__c:externalid,Contact.Lifecycle_Stage__c \
    --hubspot-custom-properties companies.sf_account_id:unique >"$dir/out" 2>"$dir/err" &
pid=$!
url=
i=0
while [ -z "$url" ]; do
    url=$(sed -n 's/^listening on //p' "$dir/out")
    [ -n "$url" ] && break
    if ! kill -0 "$pid" 2>/dev/null || [ $i -ge 200 ]; then
        echo "run_demo: the fake did not start:" >&2
        cat "$dir/err" >&2
        exit 1
    fi
    i=$((i + 1))
    sleep 0.05
done
"$demo" --url "$url" --salesforce-daily 15000 "$@"
