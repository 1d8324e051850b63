#!/bin/sh
# test_cli.sh -- the `ucrm` command-line client: options, configuration sources and precedence, secrets, exit
# codes, --fake, and (when an adapter is built in) every command against the local fake.
cd "$(dirname "$0")/.." || exit 1
. tests/helpers/tap.sh

bindir=${UCRM_BIN_DIR:-build/bin}
UCRM=$bindir/ucrm
FAKE=${UCRM_FAKE_BIN:-$bindir/unicrm-fake}
[ -x "$UCRM" ] || skip_all "$UCRM is not built"
# A clean environment: no configuration from the machine running the tests.
unset UCRM_PROVIDER UCRM_API_URL UCRM_TOKEN_URL UCRM_AUTH_METHOD UCRM_ACCESS_TOKEN UCRM_REFRESH_TOKEN \
      UCRM_CLIENT_ID UCRM_CLIENT_SECRET UCRM_JWT_KEY_FILE UCRM_JWT_SUBJECT UCRM_CA_FILE UCRM_CONFIG
export UCRM_FAKE_BIN="$FAKE"

# expect CODE "what" args... : runs ucrm, checks the exit status; output in $TMPD/out and $TMPD/err
expect() {
    want=$1 what=$2; shift 2
    "$UCRM" "$@" >"$TMPD/out" 2>"$TMPD/err" </dev/null; rc=$?
    if [ "$rc" = "$want" ]; then ok "$what (exit $want)"
    else not_ok "$what: exit $rc, want $want" "stderr: $(head -c 600 "$TMPD/err") stdout: $(head -c 300 "$TMPD/out")"; fi
}
has() { # has FILE PATTERN "what"
    if grep -q -- "$2" "$1"; then ok "$3"; else not_ok "$3" "no '$2' in: $(head -c 600 "$1")"; fi
}
hasnt() {
    if grep -q -- "$2" "$1"; then not_ok "$3" "'$2' in: $(head -c 600 "$1")"; else ok "$3"; fi
}

# ------------------------------------------------------------------------------------------------ usage
expect 0 "--help" --help
has "$TMPD/out" "Exit status" "--help explains the exit codes"
has "$TMPD/out" "UCRM_ACCESS_TOKEN" "--help names the environment variables"
expect 0 "--version" --version
has "$TMPD/out" "^ucrm [0-9]*\.[0-9]*\.[0-9]* (libunicrm " "--version prints both versions"
expect 1 "no arguments" 
has "$TMPD/err" "Try 'ucrm --help'" "a usage error points at --help"
expect 1 "unknown object" widget list
expect 1 "unknown command" contact frobnicate --provider hubspot
expect 1 "unknown option" --frobnicate contact list
expect 1 "bad --limit value" contact list --limit many
expect 1 "bad --page-size value" contact list --page-size 0
expect 1 "bad --priority value" contact list --priority urgent
expect 1 "--conf without =" --conf provider contact list
expect 1 "--fake with --fake-url" --fake --fake-url http://127.0.0.1:9 contact list

# ------------------------------------------------------------------------------------------------ configuration
expect 2 "no provider anywhere" contact list
has "$TMPD/err" "no provider" "the missing provider is named"
expect 2 "unknown --conf key" --provider hubspot --conf no.such.key=1 config
has "$TMPD/err" "--conf.*UCRM_ERR_CONF_UNKNOWN" "the error names where the key came from"
expect 2 "invalid --conf value" --provider hubspot --conf http.timeout.ms=soon config
expect 0 "config lists what is set" --provider salesforce --conf retry.max=7 config
has "$TMPD/out" "^provider=salesforce$" "config shows the provider"
has "$TMPD/out" "^retry.max=7$" "config shows --conf values"

cfg=$TMPD/ucrm.conf
printf '# a comment\n\n  provider = salesforce  \napi.url=https://example.my.salesforce.com\nauth.refresh.token = rt-FILE-SECRET\n' >"$cfg"
chmod 600 "$cfg"
expect 0 "--config FILE" --config "$cfg" config
has "$TMPD/out" "^provider=salesforce$" "the file's provider (spaces trimmed)"
has "$TMPD/out" "^auth.refresh.token=\[redacted\]$" "secrets from the file are redacted"
hasnt "$TMPD/out" "rt-FILE-SECRET" "the secret never appears in the output"
hasnt "$TMPD/err" "readable by other users" "no permission warning for a chmod 600 file"
UCRM_CONFIG=$cfg expect 0 "\$UCRM_CONFIG" config
has "$TMPD/out" "^api.url=https://example.my.salesforce.com$" "\$UCRM_CONFIG is read"
chmod 644 "$cfg"
expect 0 "a world-readable config file with a secret" --config "$cfg" config
has "$TMPD/err" "readable by other users" "ucrm warns about the file's permissions"
UCRM_PROVIDER=hubspot expect 0 "environment over the file" --config "$cfg" config
has "$TMPD/out" "^provider=hubspot$" "UCRM_PROVIDER beats the file"
UCRM_PROVIDER=hubspot expect 0 "--provider over the environment" --config "$cfg" --provider salesforce config
has "$TMPD/out" "^provider=salesforce$" "--provider beats UCRM_PROVIDER"
UCRM_ACCESS_TOKEN=env-SECRET expect 0 "UCRM_ACCESS_TOKEN" --provider hubspot config
has "$TMPD/out" "^auth.access.token=\[redacted\]$" "UCRM_ACCESS_TOKEN sets auth.access.token"
hasnt "$TMPD/err" "command line" "no command-line warning for a secret from the environment"
expect 0 "a secret with --conf" --provider hubspot --conf auth.access.token=argv-SECRET config
has "$TMPD/err" "warning: a secret was given on the command line" "ucrm warns about secrets in argv"
hasnt "$TMPD/out" "argv-SECRET" "the secret is not echoed"
printf 'provider=hubspot\nthis line has no equals sign\n' >"$TMPD/bad.conf"
expect 2 "a malformed config file" --config "$TMPD/bad.conf" config
has "$TMPD/err" "bad.conf:2: expected key=value" "the error names FILE:LINE"
expect 2 "a missing config file" --config "$TMPD/nonexistent.conf" config
printf 'provider=hubspot\nno.such.key=1\n' >"$TMPD/unknown.conf"
expect 2 "an unknown key in the config file" --config "$TMPD/unknown.conf" config
has "$TMPD/err" "unknown.conf:2" "the unknown key's line is named"
expect 0 "config describe" config describe
if python3 -c 'import json,sys; rows=json.load(open(sys.argv[1])); assert any(r["name"]=="provider" for r in rows)' "$TMPD/out" 2>"$LOG"
then ok "config describe prints valid pretty JSON of the property table"; else not_ok "config describe JSON" "$(cat "$LOG")"; fi

# ------------------------------------------------------------------------------------------------ --fake
cat >"$TMPD/fake-wrapper" <<W
#!/bin/sh
echo \$\$ >"$TMPD/fake.pid"
exec "$FAKE" "\$@"
W
chmod +x "$TMPD/fake-wrapper"
UCRM_FAKE_BIN=$TMPD/fake-wrapper expect 0 "--fake starts the fake" --fake config
has "$TMPD/out" "^api.url=http://127.0.0.1:[0-9]*$" "--fake points api.url at the fake"
has "$TMPD/out" "^auth.access.token=\[redacted\]$" "--fake sets the fake's test credentials"
pid=$(cat "$TMPD/fake.pid" 2>/dev/null)
if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then ok "the fake is stopped when ucrm exits"
else not_ok "the fake is stopped when ucrm exits" "pid '$pid' still alive"; kill "$pid" 2>/dev/null; fi
UCRM_ACCESS_TOKEN=real-token UCRM_API_URL=https://api.hubapi.com expect 0 "--fake ignores URLs and credentials from the environment" --fake config
hasnt "$TMPD/out" "api.hubapi.com" "the environment's api.url is not used with --fake"
expect 0 "--fake --provider salesforce" --fake --provider salesforce config
has "$TMPD/out" "^auth.client.id=test-client$" "Salesforce test credentials"
UCRM_FAKE_BIN=$TMPD/nonexistent expect 2 "--fake without a fake program" --fake contact list
has "$TMPD/err" "could not start" "the failure is explained"

# ------------------------------------------------------------------------------------------------ against the fake
if ! "$UCRM" --version | grep -q '^providers:.*hubspot'; then
    expect 2 "a provider that is not built in" --fake contact list
    has "$TMPD/err" "UCRM_ERR_NOT_BUILT_IN" "NOT_BUILT_IN is reported"
    echo "# no HubSpot adapter is built in yet: the commands were not run against the fake"
    tap_done
fi

start_fake "$FAKE" --seed 3 || { not_ok "start the fake"; tap_done; }
F="--fake-url $FAKE_URL"
# shellcheck disable=SC2086
expect 0 "contact list" $F contact list
n=$(grep -c '^{' "$TMPD/out")
[ "$n" = 3 ] && ok "list prints one JSON object per line (3 seeded contacts)" || not_ok "list lines: $n, want 3"
# shellcheck disable=SC2086
expect 0 "contact create" $F contact create '{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace"}'
id=$(sed -n 's/^  "id": "\(.*\)",*$/\1/p' "$TMPD/out")
[ -n "$id" ] && ok "create prints the pretty record with its id ($id)" || not_ok "create prints an id" "$(cat "$TMPD/out")"
# shellcheck disable=SC2086
expect 0 "contact get" $F contact get "$id" --fields email,first_name
has "$TMPD/out" '"email": "ada@example.com"' "get returns the created contact"
# shellcheck disable=SC2086
expect 0 "contact get --compact --raw" $F contact get "$id" --compact --raw
has "$TMPD/out" '"properties"' "--raw prints the provider's payload"
# shellcheck disable=SC2086
expect 0 "contact update ID RECORD" $F contact update "$id" '{"title":"Countess"}'
# shellcheck disable=SC2086
expect 0 "get after update" $F contact get "$id" --compact
has "$TMPD/out" '"title":"Countess"' "the update reached the fake"
# shellcheck disable=SC2086
expect 0 "contact search" $F contact search email ada@example.com
[ "$(grep -c '^{' "$TMPD/out")" = 1 ] && ok "search finds exactly the one contact" || not_ok "search result" "$(cat "$TMPD/out")"
# shellcheck disable=SC2086
printf '{"email":"ada@example.com","last_name":"King"}' | "$UCRM" $F contact upsert --key email >"$TMPD/out" 2>"$TMPD/err"
rc=$?; [ $rc = 0 ] && grep -q "\"id\": \"$id\"" "$TMPD/out" && ok "upsert from stdin updates the existing contact" ||
    not_ok "upsert existing" "exit $rc $(cat "$TMPD/err" "$TMPD/out")"
# shellcheck disable=SC2086
expect 0 "list --limit 2" $F contact list --limit 2
[ "$(grep -c '^{' "$TMPD/out")" = 2 ] && ok "--limit stops after 2" || not_ok "--limit" "$(cat "$TMPD/out")"
cur=$(sed -n "s/.*continue with --resume '\(.*\)'$/\1/p" "$TMPD/err")
if [ -n "$cur" ]; then
    ok "--limit prints how to continue"
    # shellcheck disable=SC2086
    expect 0 "list --resume" $F contact list --resume "$cur"
    [ "$(grep -c '^{' "$TMPD/out")" = 2 ] && ok "--resume prints the other 2 of 4" || not_ok "--resume" "$(cat "$TMPD/out")"
else not_ok "--limit prints how to continue" "$(cat "$TMPD/err")"; fi
printf '{"email":"b1@example.com"}\n{"email":"b2@example.com"}\n{"email":"b3@example.com"}\n' >"$TMPD/batch.ndjson"
# shellcheck disable=SC2086
expect 0 "create a batch from NDJSON" $F contact create "@$TMPD/batch.ndjson"
[ "$(grep -c '"ok":true' "$TMPD/out")" = 3 ] && ok "one ok line per batch item" || not_ok "batch lines" "$(cat "$TMPD/out")"
ids=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$TMPD/out")
# shellcheck disable=SC2086
echo "$ids" | "$UCRM" $F contact delete - >"$TMPD/out" 2>"$TMPD/err"; rc=$?
[ $rc = 0 ] && [ "$(grep -c '"ok":true' "$TMPD/out")" = 3 ] && ok "delete - deletes the batch's ids from stdin" ||
    not_ok "batch delete" "exit $rc $(cat "$TMPD/err" "$TMPD/out")"
# shellcheck disable=SC2086
expect 0 "contact delete" $F contact delete "$id"
has "$TMPD/out" '"deleted":true' "delete confirms"
# shellcheck disable=SC2086
expect 4 "get a deleted contact" $F contact get "$id"
has "$TMPD/err" "UCRM_ERR_NOT_FOUND" "not found is named"
# shellcheck disable=SC2086
expect 6 "an unknown field in the input" $F contact create '{"shoe_size":44}'
has "$TMPD/err" "UCRM_ERR_INVALID_FIELD" "the unknown field is reported before any request"
# shellcheck disable=SC2086
expect 6 "truncated JSON input" $F contact create '{"email":"x@example.com"'
# shellcheck disable=SC2086
expect 3 "a wrong token" --fake-url "$FAKE_URL" --conf auth.access.token=wrong contact list
expect 8 "no server" --fake-url http://127.0.0.1:1 --conf retry.max=0 contact list
# shellcheck disable=SC2086
( "$UCRM" $F contact list | head -n 1 >/dev/null; ) 2>"$TMPD/err"
hasnt "$TMPD/err" "writing the output failed" "a closed pipe (| head) is not an error"
# shellcheck disable=SC2086
expect 0 "--stats" $F contact list --stats
has "$TMPD/err" "ucrm: stats: {" "--stats prints the metrics"
if "$UCRM" --version | grep -q '^providers:.*salesforce'; then
    # shellcheck disable=SC2086
    expect 0 "Salesforce: account list" $F --provider salesforce account list
    [ "$(grep -c '^{' "$TMPD/out")" = 3 ] && ok "3 seeded Salesforce accounts" || not_ok "salesforce list" "$(cat "$TMPD/out")"
fi
expect 0 "--fake contact list (a fake of its own)" --fake --fake-seed 2 contact list
[ "$(grep -c '^{' "$TMPD/out")" = 2 ] && ok "the started fake holds --fake-seed records" || not_ok "--fake list" "$(cat "$TMPD/out")"
stop_fake
tap_done
