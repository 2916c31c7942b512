# check_of CARD_ID HEX: the 4-hex-digit check of a code read over the phone (cardctl(1), CODES): CRC-16/CCITT-FALSE
# (poly 0x1021, init 0xFFFF) over ASCII(card id) || the code's bytes. For tests that need a code whose check matches.
check_of() {
  local id=$1 hex=$2 crc=0xFFFF b i j
  local -a bytes=()
  for ((i = 0; i < ${#id}; i++)); do bytes+=($(printf '%d' "'${id:i:1}")); done
  for ((i = 0; i < ${#hex}; i += 2)); do bytes+=($((16#${hex:i:2}))); done
  for b in "${bytes[@]}"; do
    crc=$((crc ^ (b << 8)))
    for ((j = 0; j < 8; j++)); do
      if ((crc & 0x8000)); then crc=$((((crc << 1) ^ 0x1021) & 0xFFFF)); else crc=$(((crc << 1) & 0xFFFF)); fi
    done
  done
  printf '%04X' "$crc"
}
