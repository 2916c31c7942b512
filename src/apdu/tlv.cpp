// BER-TLV as PIV uses it (ISO 7816-4 §5.2.2; SP 800-73-4 Part 1 §3 data objects).
#include "cardctl/tlv.hpp"

#include "cardctl/error.hpp"

namespace cardctl::tlv {

namespace {
[[noreturn]] void malformed(const char* why) { throw Error(ErrorKind::protocol, std::string("malformed TLV: ") + why); }

template <class Out>
void append_tag(Out& out, std::uint32_t tag) {
  if (tag > 0xFFFF) out.push_back(static_cast<std::uint8_t>(tag >> 16));
  if (tag > 0xFF) out.push_back(static_cast<std::uint8_t>(tag >> 8));
  out.push_back(static_cast<std::uint8_t>(tag));
}

// Out is Bytes or SecureBytes: a SecureBytes wipes every block it leaves when it grows.
template <class Out>
void append_to(Out& out, std::uint32_t tag, ByteView value) {
  const Bytes len = encode_length(value.size());  // a length, never secret
  append_tag(out, tag);
  out.insert(out.end(), len.begin(), len.end());
  out.insert(out.end(), value.begin(), value.end());
}

template <class Out>
Out encode_as(std::uint32_t tag, ByteView value) {
  Out out;
  out.reserve(3 + 3 + value.size());  // tag and length of at most 3 bytes each: written without reallocating
  append_to(out, tag, value);
  return out;
}
}  // namespace

Bytes encode_length(std::size_t length) {
  if (length < 0x80) return {static_cast<std::uint8_t>(length)};
  if (length <= 0xFF) return {0x81, static_cast<std::uint8_t>(length)};
  if (length <= 0xFFFF) return {0x82, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
  throw Error(ErrorKind::usage, "TLV value too long");
}

void append(Bytes& out, std::uint32_t tag, ByteView value) { append_to(out, tag, value); }
void append(SecureBytes& out, std::uint32_t tag, ByteView value) { append_to(out, tag, value); }

Bytes encode(std::uint32_t tag, ByteView value) { return encode_as<Bytes>(tag, value); }
SecureBytes encode_secure(std::uint32_t tag, ByteView value) { return encode_as<SecureBytes>(tag, value); }

// ISO 7816-4 §5.2.2.1 (BER-TLV tag field): low 5 bits all set -> more tag bytes follow, each with bit 8 set
// while more follow. PIV uses at most 3-byte tags.
Item parse_one(ByteView data, std::size_t& consumed) {
  std::size_t pos = 0;
  if (data.empty()) malformed("empty");
  std::uint32_t tag = data[pos++];
  if ((tag & 0x1F) == 0x1F) {
    do {
      if (pos >= data.size()) malformed("tag runs past the end");
      if (pos >= 3) malformed("tag longer than 3 bytes");
      tag = tag << 8 | data[pos];
    } while (data[pos++] & 0x80);
  }
  // ISO 7816-4 §5.2.2.2 (BER-TLV length field): 00-7F, 81 xx, 82 xx xx. Indefinite (80) and longer forms
  // are not used by PIV and are refused.
  if (pos >= data.size()) malformed("missing length");
  std::size_t length = data[pos++];
  if (length == 0x81 || length == 0x82) {
    const std::size_t n = length - 0x80;
    if (n > data.size() - pos) malformed("length runs past the end");
    length = 0;
    for (std::size_t i = 0; i < n; ++i) length = length << 8 | data[pos++];
  } else if (length >= 0x80) {
    malformed("unsupported length form");
  }
  if (length > data.size() - pos) malformed("value runs past the end");
  consumed = pos + length;
  return {tag, data.subspan(pos, length), data.first(consumed)};
}

std::vector<Item> parse(ByteView data) {
  std::vector<Item> items;
  while (!data.empty()) {
    std::size_t used = 0;
    items.push_back(parse_one(data, used));
    data = data.subspan(used);
  }
  return items;
}

std::optional<ByteView> find(ByteView data, std::uint32_t tag) {
  for (const auto& item : parse(data))
    if (item.tag == tag) return item.value;
  return std::nullopt;
}

ByteView expect(ByteView data, std::uint32_t tag) {
  std::size_t used = 0;
  Item item = parse_one(data, used);
  if (item.tag != tag) malformed("unexpected tag");
  if (used != data.size()) malformed("trailing bytes");
  return item.value;
}

}  // namespace cardctl::tlv
