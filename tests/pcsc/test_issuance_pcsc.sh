#!/bin/bash
# Issuance over real PC/SC (cardctl-issue(1)): every template of examples/policy.toml issued through pcscd on
# cardsim cards, the result checked with OpenSC (pkcs15-tool lists the certificates; pkcs11-tool logs in with the
# first PIN and signs with each generated key; openssl verifies each signature with the certificate cardctl
# stored), an offline unblock from the inventory's data; then a batch of 12 holders over 4 readers with cards
# swapped in as they are done, killed with SIGKILL half-way and run again: every holder issued exactly once.
set -euo pipefail
source "$HARNESS"
pcsc_require pkcs11-tool pkcs15-tool yubico-piv-tool openssl jq
W=$PCSC_DIR/work
mkdir -p "$W"
MODULE=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[[ -f $MODULE ]] || MODULE=$(dpkg -L opensc-pkcs11 | grep '/opensc-pkcs11.so$' | head -n 1)
export CARDCTL_HOME=$PCSC_DIR/site CARDCTL_PASSPHRASE="pcsc passphrase 1" CARDCTL_OPERATOR=issuer-1
cardctl() { "$CARDCTL_BIN" "$@"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=cardctl test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
chmod 600 "$W/ca.key"
CA=(--ca-cert "$W/ca.pem" --ca-key "$W/ca.key")
printf 'first-school: Elm Primary\nfirst-street: Oak Road\nfirst-concert: The Cure\n' >"$W/answers"
printf '482917\n' >"$W/newpin"
chmod 600 "$W/answers" "$W/newpin"
cardctl init --policy "$CARDCTL_SOURCE/examples/policy.toml" --scrypt-n 1024 >/dev/null

for i in 0 1 2 3; do "$CARDSIM_BIN" create "$W/card$i.card" --serial $((71000 + i)) >/dev/null 2>&1; done
PCSC_CARDSIM_OPTIONS="--keygen-delay-ms 150" pcsc_start 2 "$W/card0.card" "$W/card1.card" "$W/card2.card" "$W/card3.card"

# --- each template of examples/policy.toml, then OpenSC ------------------------------------------------------------
R=${PCSC_READERS[0]}
printf 'Elm Primary\nOak Road\nThe Cure\n' | cardctl issue --reader "@$R" --template staff --holder 1042 \
  --name "Alice Example" --email alice@example.com --answer first-school --answer first-street --answer first-concert \
  "${CA[@]}" --json >"$W/staff.json" || pcsc_fail "issuing the staff card"
pin=$(jq -r .first_pin "$W/staff.json")
[[ $(jq -r '[.slots[].slot] | join(",")' "$W/staff.json") == "9a,9c" ]] || pcsc_fail "slots: $(cat "$W/staff.json")"
out=$(pkcs15-tool --reader "$R" -D 2>&1)
grep -q "X.509 Certificate \[Certificate for PIV Authentication\]" <<<"$out" || pcsc_fail "pkcs15-tool: no 9a certificate: $out"
grep -q "X.509 Certificate \[Certificate for Digital Signature\]" <<<"$out" || pcsc_fail "pkcs15-tool: no 9c certificate: $out"
cardctl show 71000 --json >"$W/show.json"
echo "signed with a key cardctl generated" >"$W/data"
for id_slot in "01 9a" "02 9c"; do
  set -- $id_slot
  jq -r ".slots[] | select(.slot == \"$2\") | .certificate" "$W/show.json" >"$W/$2.pem"
  openssl x509 -in "$W/$2.pem" -noout -pubkey >"$W/$2.pub"
  openssl verify -CAfile "$W/ca.pem" "$W/$2.pem" >/dev/null || pcsc_fail "the $2 certificate does not verify against the CA"
  pkcs11-tool --module "$MODULE" --slot-description "$R" --login --pin "$pin" --sign --id "$1" -m ECDSA-SHA256 \
    --signature-format openssl -i "$W/data" -o "$W/$2.sig" >/dev/null 2>&1 || pcsc_fail "pkcs11-tool --sign with $2 failed"
  openssl dgst -sha256 -verify "$W/$2.pub" -signature "$W/$2.sig" "$W/data" | grep -q "Verified OK" ||
    pcsc_fail "the $2 signature does not verify with the certificate cardctl stored"
done
# The offline unblock from the inventory's data alone.
for _ in 1 2 3; do yubico-piv-tool -r "$R" -a verify-pin -P 000000 >/dev/null 2>&1 || true; done
ch=$(cardctl challenge --reader "@$R" --detach --json)
resp=$(cardctl respond --card 71000 --challenge "$(jq -r '.challenge + " " + .check' <<<"$ch")" \
  --answers-file "$W/answers" --json | jq -r '.response + " " + .check')
cardctl unblock --reader "@$R" --response "$resp" --pin-file "$W/newpin" 2>/dev/null || pcsc_fail "offline unblock failed"
pkcs11-tool --module "$MODULE" --slot-description "$R" --login --pin 482917 -O >/dev/null 2>&1 ||
  pcsc_fail "PKCS#11 login with the new PIN failed"

R1=${PCSC_READERS[1]}
printf 'Elm Primary\nOak Road\nThe Cure\n' | cardctl issue --reader "@$R1" --template yubikey --holder 1043 \
  --answer first-school --answer first-street --answer first-concert --json >"$W/yk.json" || pcsc_fail "issuing the yubikey card"
ykpin=$(jq -r .first_pin "$W/yk.json")
out=$(pkcs15-tool --reader "$R1" -D 2>&1)
grep -q "PIN \[PIN\]" <<<"$out" || pcsc_fail "pkcs15-tool does not see the yubikey card's PIN: $out"
pkcs11-tool --module "$MODULE" --slot-description "$R1" --login --pin "$ykpin" -O >/dev/null 2>&1 ||
  pcsc_fail "PKCS#11 login with the yubikey card's first PIN failed"

# --- a batch of 12 over 4 readers, killed half-way and run again ---------------------------------------------------
{
  echo "holder,name,email,template"
  for i in $(seq 1 12); do
    echo "$((8000 + i)),Holder $i,h$i@example.com,staff"
    [[ $i == 6 ]] && echo "8106,Broken,b@example.com"   # line 8: a field short
  done
} >"$W/people.csv"
next_serial=72000
in_reader=()
swap() {  # swap I: the card in reader I is done; a new factory card takes its place
  # The inventory shows the card active a moment before the batch resets and releases it; take it out after that.
  sleep 0.3
  pcsc_ctl remove "$1" >/dev/null
  pcsc_wait_card "${PCSC_READERS[$1]}" no || pcsc_fail "reader $1 still shows a card"
  # no pause for the batch to see the empty reader: it tells the new card by the reader's event count
  next_serial=$((next_serial + 1))
  pcsc_ctl swap "$1" "$next_serial" >/dev/null
  in_reader[$1]=$next_serial
  pcsc_wait_card "${PCSC_READERS[$1]}" yes || pcsc_fail "reader $1 shows no card after the swap"
}
for i in 0 1 2 3; do swap "$i"; done
# drive BATCH-PID: swaps every card that became active, until the batch exits (or STOP_AFTER cards are active)
drive() {
  local pid=$1 stop_after=${2:-0} rounds=0
  while kill -0 "$pid" 2>/dev/null; do
    rounds=$((rounds + 1))
    ((rounds < 600)) || pcsc_fail "the batch did not finish"
    active=$(cardctl list --state active --template staff --json 2>/dev/null | jq -r '[.cards[].card_id] | join(" ")')
    if ((stop_after > 0)) && (($(wc -w <<<"$active") - 1 >= stop_after)); then
      kill -KILL "$pid"
      return
    fi
    for i in 0 1 2 3; do
      [[ " $active " == *" ${in_reader[$i]} "* ]] && swap "$i"
    done
    sleep 0.3
  done
}
"$CARDCTL_BIN" issue --batch "$W/people.csv" --skip-bad-rows "${CA[@]}" --readers cardsim --json >"$W/run1.json" 2>"$W/run1.err" &
run1=$!
drive "$run1" 5
wait "$run1" 2>/dev/null || true
kill -0 "$run1" 2>/dev/null && pcsc_fail "the first batch survived SIGKILL"
[[ -s $W/run1.json ]] && pcsc_fail "the first batch finished before it was killed: $(cat "$W/run1.err")"
grep -q "people.csv:8: row: has 3 fields, the header has 4" "$W/run1.err" || pcsc_fail "the malformed row was not reported: $(cat "$W/run1.err")"
"$CARDCTL_BIN" issue --batch "$W/people.csv" --skip-bad-rows "${CA[@]}" --readers cardsim --json >"$W/run2.json" 2>"$W/run2.err" &
run2=$!
drive "$run2"
wait "$run2" || pcsc_fail "the second batch did not finish every holder: $(cat "$W/run2.err")"
jq -e '.summary.issued + .summary.already_issued == 12' "$W/run2.json" >/dev/null || pcsc_fail "second run: $(jq -c .summary "$W/run2.json")"
cardctl list --template staff --json >"$W/list.json"
for i in $(seq 1 12); do
  n=$(jq "[.cards[] | select(.holder_id == \"$((8000 + i))\" and .state == \"active\")] | length" "$W/list.json")
  [[ $n == 1 ]] || pcsc_fail "holder $((8000 + i)) has $n active cards"
done
[[ $(jq '[.cards[] | select(.state == "pending")] | length' "$W/list.json") == 0 ]] || pcsc_fail "pending cards left: $(cat "$W/list.json")"
# The cards still in the readers agree with the inventory: active ones take their first PIN from the reports.
for i in 0 1 2 3; do
  serial=${in_reader[$i]}
  state=$(jq -r ".cards[] | select(.card_id == \"$serial\") | .state" "$W/list.json")
  [[ -z $state ]] && continue
  p=$(jq -r ".holders[] | select(.card_id == \"$serial\") | .first_pin // empty" "$W/run2.json")
  [[ -n $p ]] || continue
  yubico-piv-tool -r "${PCSC_READERS[$i]}" -a verify-pin -P "$p" >/dev/null 2>&1 || pcsc_fail "card $serial does not take its first PIN"
done
# SIGINT: the cards in progress are finished, no new one is started, and the report says so.
printf 'holder,template\n9001,staff\n9002,staff\n9003,staff\n9004,staff\n9005,staff\n' >"$W/sigint.csv"
for i in 0 1 2 3; do swap "$i"; done
"$CARDCTL_BIN" issue --batch "$W/sigint.csv" "${CA[@]}" --readers cardsim --json >"$W/int.json" 2>"$W/int.err" &
pid=$!
sleep 1
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[[ $rc == 10 ]] || pcsc_fail "an interrupted batch (exit 10, partial) exited $rc: $(cat "$W/int.err")"
jq -e '.interrupted == true and .summary.not_reached >= 1' "$W/int.json" >/dev/null || pcsc_fail "interrupted report: $(cat "$W/int.json")"
cardctl list --state pending --json | jq -e '.cards | length == 0' >/dev/null || pcsc_fail "SIGINT left a half-issued card"
cardctl audit verify --json | jq -e .ok >/dev/null || pcsc_fail "the audit trail does not verify after the batches"
echo "issuance over PC/SC: ok"
