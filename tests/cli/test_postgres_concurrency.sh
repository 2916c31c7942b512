#!/usr/bin/env bash
# Four helpdesk workstations answer 50 calls each, all at once, against one installation whose inventory and
# audit trail are in PostgreSQL (docs/architecture.md#several-workstations). Each workstation is its own copy of
# the installation directory (keystore, policy, site file), as on four machines. Several calls are for the same
# cards and holders at the same moment. The policy's limits hold exactly: 3 offline unblocks per card (a challenge
# answered again is not counted again), and a holder who fails 3 identifications is locked out. No audit entry is
# lost or duplicated, and `audit verify` passes on every workstation. Runs with CARDCTL_TEST_POSTGRES=1 only.
. "$(dirname "$0")/lib.sh"
[[ ${CARDCTL_TEST_POSTGRES:-0} == 1 ]] || { echo "needs a PostgreSQL installation (CARDCTL_TEST_POSTGRES=1)"; exit 77; }
. "$CARDCTL_SOURCE/tests/cli/offline_unblock_setup.sh"

declare -A CARD=([41001]=alice [41002]=alice [42001]=bob)
declare -A TEMPLATE=([41001]=staff [41002]=legacy [42001]=staff)  # one card per template and holder
for id in "${!CARD[@]}"; do
  file=$(new_card "$id.sim" --serial "$id")
  issue "$file" "${TEMPLATE[$id]}" "${CARD[$id]}"
  block_pin "$file"
  for k in 0 1 2 3 4; do  # five different challenges per card
    run "$CARDCTL" challenge --reader "sim:$file" --detach --json
    assert_exit 0
    code_of "$OUT" >"$T_ROOT/challenge-$id-$k"
  done
done
for w in 1 2 3 4; do
  run "$CARDCTL" operator add "desk-$w" --role helpdesk
  assert_exit 0
  cp -a "$CARDCTL_HOME" "$T_ROOT/desk$w"
done
mkdir -p "$T_ROOT/calls"

desk() {  # desk W: 50 calls; each line of calls/W is "EXIT CARD CHALLENGE-INDEX"
  local w=$1 i id k answers ids=(41001 41002 42001)
  for ((i = 0; i < 50; i++)); do
    id=${ids[$(((i + w) % 3))]}
    k=$(((i * 7 + w) % 5))
    answers=$ANSWERS
    [[ ${CARD[$id]} == bob ]] && answers=$WRONG
    CARDCTL_HOME=$T_ROOT/desk$w CARDCTL_OPERATOR=desk-$w "$CARDCTL" respond --card "$id" \
      --challenge "$(cat "$T_ROOT/challenge-$id-$k")" --answers-file "$answers" --json \
      >"$T_ROOT/calls/$w-$i.json" 2>"$T_ROOT/calls/$w-$i.err" </dev/null
    echo "$? $id $k" >>"$T_ROOT/calls/$w"
  done
}
pids=()
for w in 1 2 3 4; do
  desk "$w" &
  pids+=($!)
done
wait "${pids[@]}"

calls=$(cat "$T_ROOT"/calls/[1-4] | wc -l)
[[ $calls == 200 ]]
_check $? "200 calls were made, not $calls"
unexpected=$(cat "$T_ROOT"/calls/[1-4] | awk '$1 != 0 && $1 != 6' | head -3)
[[ -z $unexpected ]]
_check $? "every call is answered (0) or refused by the policy (6), got: $unexpected $(cat "$T_ROOT"/calls/*.err | grep -v '^$' | sort | uniq -c | head -5)"

# The limit: exactly 3 different challenges answered per card of the identified holder, whatever the order.
for id in 41001 41002; do
  answered=$(cat "$T_ROOT"/calls/[1-4] | awk -v id="$id" '$1 == 0 && $2 == id { print $3 }' | sort -u | wc -l)
  [[ $answered == 3 ]]
  _check $? "card $id: $answered different challenges answered, the policy allows 3"
done
answered_bob=$(cat "$T_ROOT"/calls/[1-4] | awk '$1 == 0 && $2 == 42001' | wc -l)
[[ $answered_bob == 0 ]]
_check $? "card 42001 was answered $answered_bob times with wrong answers"

run "$CARDCTL" audit show --json
assert_exit 0
trail=$OUT
# The lockout: 3 identifications of bob started (and failed), none after.
started=$(jq '[.entries[] | select(.holder_id == "bob" and .action == "identify" and .outcome == "started")] | length' <<<"$trail")
failed=$(jq '[.entries[] | select(.holder_id == "bob" and .action == "identify" and .outcome == "failed")] | length' <<<"$trail")
[[ $started == 3 && $failed == 3 ]]
_check $? "bob: $started identifications started and $failed failed; the policy locks out after 3"
# Every answered call recorded once as given, every answer reserved once per different challenge.
ok_calls=$(cat "$T_ROOT"/calls/[1-4] | awk '$1 == 0' | wc -l)
ok_entries=$(jq '[.entries[] | select(.action == "respond" and .outcome == "ok")] | length' <<<"$trail")
[[ $ok_calls == "$ok_entries" ]]
_check $? "$ok_calls calls were answered but the trail records $ok_entries"
reserved=$(jq '[.entries[] | select(.action == "respond" and .outcome == "reserved") | .card_id + "/" + .details.challenge] | unique | length' <<<"$trail")
reserved_all=$(jq '[.entries[] | select(.action == "respond" and .outcome == "reserved")] | length' <<<"$trail")
[[ $reserved == 6 ]]
_check $? "$reserved different challenges reserved in the trail, expected 6 (3 per card)"
[[ $reserved_all == "$ok_calls" ]]
_check $? "$reserved_all reservations for $ok_calls answered calls"
seqs=$(jq '[.entries[].seq] | (. == [range(1; length + 1)])' <<<"$trail")
[[ $seqs == true ]]
_check $? "the trail's entries are not numbered 1..N without a gap or a repeat"

# One chain, verified from every workstation.
entries=$(jq '.entries | length' <<<"$trail")
for w in 1 2 3 4; do
  CARDCTL_HOME=$T_ROOT/desk$w run "$CARDCTL" audit verify --json
  assert_exit 0
  assert_json .entries "$entries"
done

finish
