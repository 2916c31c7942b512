// Layer 4: BER-TLV as PIV uses it (ISO 7816-4 / SP 800-73-4): tags of 1-3 bytes, definite lengths of
// up to 3 length bytes (0x82 form). Parsing never reads past the input and throws Error(protocol) on
// malformed data.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cardctl/bytes.hpp"

namespace cardctl::tlv {

struct Item {
  std::uint32_t tag;  // as written, e.g. 0x7C, 0x5FC102, 0x7F49
  ByteView value;     // view into the parsed buffer
  ByteView raw;       // the whole TLV (tag, length, value)
};

/// Encodes a length (1, 2 or 3 bytes: xx, 81 xx, 82 xx xx).
Bytes encode_length(std::size_t length);
/// Encodes tag || length || value.
Bytes encode(std::uint32_t tag, ByteView value);
/// Appends tag || length || value to out.
void append(Bytes& out, std::uint32_t tag, ByteView value);
/// encode into a self-wiping buffer, for a value that is or will wrap a secret (a decrypted 9B witness in
/// GENERAL AUTHENTICATE, SP 800-73-4 Part 2 §3.2.4; a key) and for command data fields, which are SecureBytes.
SecureBytes encode_secure(std::uint32_t tag, ByteView value);
/// append into a self-wiping buffer: growing it wipes the block it leaves.
void append(SecureBytes& out, std::uint32_t tag, ByteView value);

/// Parses a sequence of TLVs that must fill data exactly.
std::vector<Item> parse(ByteView data);
/// Parses one TLV at the start of data; sets consumed to its total size.
Item parse_one(ByteView data, std::size_t& consumed);
/// The first top-level item with this tag, or nullopt.
std::optional<ByteView> find(ByteView data, std::uint32_t tag);
/// The value of the single TLV that data must be exactly, checking its tag.
ByteView expect(ByteView data, std::uint32_t tag);

}  // namespace cardctl::tlv
