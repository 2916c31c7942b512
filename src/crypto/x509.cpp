// X.509 certificates (RFC 5280) and PKCS#10 requests (RFC 2986) through OpenSSL 3's own encoders.
#include "cardctl/x509.hpp"

#include <cctype>
#include <climits>
#include <cstring>
#include <ctime>
#include <memory>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string>
#include <utility>

#include "cardctl/crypto.hpp"
#include "cardctl/error.hpp"
#include "cardctl/files.hpp"
#include "openssl_util.hpp"

namespace cardctl::crypto {

namespace {

using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ReqPtr = std::unique_ptr<X509_REQ, Deleter<X509_REQ, X509_REQ_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME, X509_NAME_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR, X509_ALGOR_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, Deleter<ASN1_BIT_STRING, ASN1_BIT_STRING_free>>;
using OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using ObjectPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
using StringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING, ASN1_STRING_free>>;
using TypePtr = std::unique_ptr<ASN1_TYPE, Deleter<ASN1_TYPE, ASN1_TYPE_free>>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER, ASN1_INTEGER_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME, GENERAL_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using EkuPtr = std::unique_ptr<EXTENDED_KEY_USAGE, Deleter<EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, Deleter<AUTHORITY_KEYID, AUTHORITY_KEYID_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// DER from one of OpenSSL's i2d functions, given as f(unsigned char**).
template <class I2d>
Bytes encode(const char* what, I2d&& i2d) {
  unsigned char* buf = nullptr;
  int len = i2d(&buf);
  if (len <= 0) fail(what);
  Bytes out(buf, buf + len);
  OPENSSL_free(buf);
  return out;
}

BioPtr memory_bio(const void* data, std::size_t size) {
  if (size > static_cast<std::size_t>(INT_MAX)) throw Error(ErrorKind::usage, "the input is too large");
  BioPtr bio(BIO_new_mem_buf(data, static_cast<int>(size)));
  if (!bio) fail("allocating a buffer");
  return bio;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string trim(std::string_view s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  std::size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool is_dotted_oid(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  return s.find("..") == std::string_view::npos;
}

// A dotted OID as an object; nullptr when OpenSSL does not accept it.
ObjectPtr oid_object(std::string_view dotted) {
  if (!is_dotted_oid(dotted)) return nullptr;
  ObjectPtr obj(OBJ_txt2obj(std::string(dotted).c_str(), 1));
  ERR_clear_error();
  return obj;
}

// ---- Subject names (RFC 4514 string form) ----

struct NamedNid {
  const char* name;
  int nid;
};

// Attribute types a subject may name (RFC 4519, RFC 5280 Appendix A); the short names OpenSSL prints.
constexpr NamedNid subject_attributes[] = {
    {"CN", NID_commonName},
    {"O", NID_organizationName},
    {"OU", NID_organizationalUnitName},
    {"C", NID_countryName},
    {"L", NID_localityName},
    {"ST", NID_stateOrProvinceName},
    {"street", NID_streetAddress},
    {"DC", NID_domainComponent},
    {"UID", NID_userId},
    {"emailAddress", NID_pkcs9_emailAddress},
    {"serialNumber", NID_serialNumber},
    {"title", NID_title},
    {"GN", NID_givenName},
    {"SN", NID_surname},
    {"initials", NID_initials},
    {"pseudonym", NID_pseudonym},
    {"dnQualifier", NID_dnQualifier},
    {"postalCode", NID_postalCode},
};

const char* const subject_hint =
    "write the subject as TYPE=VALUE parts separated by commas, e.g. \"CN=Alice Example,O=Example Ltd,OU=Staff\" "
    "(types: CN O OU C L ST street DC UID emailAddress serialNumber title GN SN initials pseudonym dnQualifier "
    "postalCode, or a dotted OID); write \\, for a comma and \\+ for a plus sign in a value";

Error subject_error(const std::string& message) { return Error(ErrorKind::usage, message, subject_hint); }

struct Rdn {
  std::string part;  // as written, for messages
  std::string type;
  std::string value;  // unescaped UTF-8
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value after '=': escapes resolved, unescaped spaces at either end dropped.
std::string unescape_value(std::string_view raw, const std::string& part) {
  std::string out;
  std::size_t keep = 0;  // out is cut back to this: the end of the last escaped or non-space character
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\') {
      // The splitter guarantees a character after every backslash.
      char next = raw[i + 1];
      if (i + 2 < raw.size() && hex_digit(next) >= 0 && hex_digit(raw[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex_digit(next) * 16 + hex_digit(raw[i + 2])));
        i += 2;
      } else {
        out.push_back(next);
        i += 1;
      }
      keep = out.size();
      continue;
    }
    if (c == '+')
      throw subject_error("subject part \"" + part + "\" has a '+': multi-valued names are not supported");
    if ((c == ' ' || c == '\t') && out.empty()) continue;
    out.push_back(c);
    if (c != ' ' && c != '\t') keep = out.size();
  }
  out.resize(keep);
  return out;
}

std::vector<Rdn> parse_subject(const std::string& subject) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < subject.size(); ++i) {
    char c = subject[i];
    if (c == '\\') {
      if (i + 1 == subject.size()) throw subject_error("the subject \"" + subject + "\" ends with a lone backslash");
      parts.back().push_back(c);
      parts.back().push_back(subject[++i]);
    } else if (c == ',') {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  if (parts.size() == 1 && trim(parts[0]).empty()) throw subject_error("the subject is empty");
  std::vector<Rdn> rdns;
  for (const auto& raw : parts) {
    Rdn rdn;
    rdn.part = trim(raw);
    if (rdn.part.empty()) throw subject_error("the subject \"" + subject + "\" has an empty part");
    std::size_t eq = raw.find('=');
    if (eq == std::string::npos)
      throw subject_error("subject part \"" + rdn.part + "\" has no '=' (write TYPE=VALUE)");
    rdn.type = trim(std::string_view(raw).substr(0, eq));
    if (rdn.type.empty()) throw subject_error("subject part \"" + rdn.part + "\" has no attribute type");
    rdn.value = unescape_value(std::string_view(raw).substr(eq + 1), rdn.part);
    if (rdn.value.empty()) throw subject_error("subject part \"" + rdn.part + "\" has an empty value");
    rdns.push_back(std::move(rdn));
  }
  return rdns;
}

ObjectPtr attribute_object(const Rdn& rdn) {
  for (const auto& a : subject_attributes)
    if (same_name(rdn.type, a.name)) return ObjectPtr(OBJ_nid2obj(a.nid));
  if (ObjectPtr obj = oid_object(rdn.type)) return obj;
  throw subject_error("unknown attribute \"" + rdn.type + "\" in subject part \"" + rdn.part + "\"");
}

// The Name for an RFC 4514 string: its last element is the first RDN.
NamePtr build_name(const std::string& subject) {
  std::vector<Rdn> rdns = parse_subject(subject);
  NamePtr name(X509_NAME_new());
  if (!name) fail("allocating a name");
  for (auto it = rdns.rbegin(); it != rdns.rend(); ++it) {
    ObjectPtr type = attribute_object(*it);
    if (X509_NAME_add_entry_by_OBJ(name.get(), type.get(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(it->value.data()),
                                   static_cast<int>(it->value.size()), -1, 0) != 1) {
      std::string reason = take_error_reason();
      throw Error(ErrorKind::usage,
                  "subject part \"" + it->part + "\" is not valid" + (reason.empty() ? "" : ": " + reason),
                  "check the value: it must be UTF-8; C takes a two-letter country code (C=GB), DC and "
                  "emailAddress ASCII only");
    }
  }
  return name;
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) fail("allocating a buffer");
  // RFC 4514 (most specific first, backslash escapes), UTF-8 kept as it is rather than escaped byte by byte.
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) fail("printing a name");
  return bio_text(bio.get());
}

// ---- Keys and signatures ----

PkeyPtr read_spki(ByteView spki_der) {
  const unsigned char* p = spki_der.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!key || p != spki_der.data() + spki_der.size()) {
    ERR_clear_error();
    throw Error(ErrorKind::usage, "the public key is not a SubjectPublicKeyInfo that OpenSSL can read",
                "give the public key in DER as the card returned it (RSA or EC)");
  }
  return key;
}

// sha256WithRSAEncryption or ecdsa-with-SHA256 (RFC 4055, RFC 5758) for a key.
int sha256_signature_nid(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) return NID_sha256WithRSAEncryption;
  if (EVP_PKEY_is_a(key, "EC")) return NID_ecdsa_with_SHA256;
  throw Error(ErrorKind::unsupported, std::string("a ") + EVP_PKEY_get0_type_name(key) + " key cannot sign here",
              "use an RSA or EC key");
}

// The signature as a BIT STRING with no unused bits. Without ASN1_STRING_FLAG_BITS_LEFT OpenSSL would drop
// trailing zero bytes from it when encoding.
BitStringPtr signature_bits(ByteView signature) {
  BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits || ASN1_BIT_STRING_set(bits.get(), const_cast<unsigned char*>(signature.data()),
                                   static_cast<int>(signature.size())) != 1)
    fail("storing a signature");
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
  return bits;
}

ReqPtr read_csr(ByteView der) {
  const unsigned char* p = der.data();
  ReqPtr req(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!req || p != der.data() + der.size()) {
    ERR_clear_error();
    throw Error(ErrorKind::io, "not a PKCS#10 certificate request",
                "give the request in DER (convert PEM first: -----BEGIN CERTIFICATE REQUEST-----)");
  }
  return req;
}

// The request's public key once its signature checks out.
EVP_PKEY* verified_csr_key(X509_REQ* req) {
  EVP_PKEY* key = X509_REQ_get0_pubkey(req);
  if (key == nullptr) {
    ERR_clear_error();
    throw Error(ErrorKind::crypto, "the certificate request has a public key OpenSSL cannot read",
                "make the request again with an RSA or EC key");
  }
  int ok = X509_REQ_verify(req, key);
  ERR_clear_error();
  if (ok != 1)
    throw Error(ErrorKind::crypto, "the certificate request is not signed by its key",
                "it was altered or signed with another key: make the request again from the card that holds the key");
  return key;
}

X509Ptr read_certificate(ByteView der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert || p != der.data() + der.size()) {
    ERR_clear_error();
    throw Error(ErrorKind::io, "not an X.509 certificate",
                "give the certificate in DER (convert PEM first: -----BEGIN CERTIFICATE-----)");
  }
  return cert;
}

std::string utc_text(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) fail("reading a certificate time");
  char buf[32];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf, n);
}

// ---- Extensions (RFC 5280 4.2.1) ----

void add_extension(X509* cert, int nid, void* value, bool critical, const char* what) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
    fail(std::string("adding the ") + what + " extension");
}

struct NamedBit {
  const char* name;
  int bit;
};
// KeyUsage bits, RFC 5280 4.2.1.3. keyCertSign is left out: these certificates say CA:FALSE.
constexpr NamedBit key_usage_bits[] = {
    {"digitalSignature", 0}, {"nonRepudiation", 1}, {"contentCommitment", 1}, {"keyEncipherment", 2},
    {"dataEncipherment", 3}, {"keyAgreement", 4},   {"cRLSign", 6},            {"encipherOnly", 7},
    {"decipherOnly", 8},
};

void add_key_usage(X509* cert, const std::vector<std::string>& names) {
  if (names.empty()) return;
  BitStringPtr bits(ASN1_BIT_STRING_new());
  if (!bits) fail("allocating key usage");
  for (const auto& n : names) {
    const NamedBit* found = nullptr;
    for (const auto& b : key_usage_bits)
      if (same_name(n, b.name)) found = &b;
    if (found == nullptr) {
      if (same_name(n, "keyCertSign"))
        throw Error(ErrorKind::usage, "key usage keyCertSign is for CA certificates; this CA issues end-entity "
                                      "certificates (basicConstraints CA:FALSE)",
                    "leave keyCertSign out");
      throw Error(ErrorKind::usage, "unknown key usage \"" + n + "\"",
                  "use digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, cRLSign, "
                  "encipherOnly or decipherOnly");
    }
    if (ASN1_BIT_STRING_set_bit(bits.get(), found->bit, 1) != 1) fail("setting a key usage bit");
  }
  add_extension(cert, NID_key_usage, bits.get(), true, "key usage");
}

constexpr struct {
  const char* name;
  const char* oid;
} extended_key_usages[] = {
    {"serverAuth", "1.3.6.1.5.5.7.3.1"},      {"clientAuth", "1.3.6.1.5.5.7.3.2"},
    {"codeSigning", "1.3.6.1.5.5.7.3.3"},     {"emailProtection", "1.3.6.1.5.5.7.3.4"},
    {"timeStamping", "1.3.6.1.5.5.7.3.8"},    {"OCSPSigning", "1.3.6.1.5.5.7.3.9"},
    {"smartcardLogon", "1.3.6.1.4.1.311.20.2.2"},  // Microsoft smart card logon
};

void add_extended_key_usage(X509* cert, const std::vector<std::string>& names) {
  if (names.empty()) return;
  EkuPtr eku(sk_ASN1_OBJECT_new_null());
  if (!eku) fail("allocating extended key usage");
  for (const auto& n : names) {
    std::string_view oid = n;
    for (const auto& e : extended_key_usages)
      if (same_name(n, e.name)) oid = e.oid;
    ObjectPtr obj = oid_object(oid);
    if (!obj)
      throw Error(ErrorKind::usage, "unknown extended key usage \"" + n + "\"",
                  "use serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, OCSPSigning, "
                  "smartcardLogon, or a dotted OID such as 1.3.6.1.5.5.7.3.2");
    bool duplicate = false;
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i)
      if (OBJ_cmp(sk_ASN1_OBJECT_value(eku.get(), i), obj.get()) == 0) duplicate = true;
    if (duplicate) continue;
    if (sk_ASN1_OBJECT_push(eku.get(), obj.get()) <= 0) fail("adding an extended key usage");
    obj.release();
  }
  add_extension(cert, NID_ext_key_usage, eku.get(), false, "extended key usage");
}

void push_name(GENERAL_NAMES* names, GeneralNamePtr name) {
  if (sk_GENERAL_NAME_push(names, name.get()) <= 0) fail("adding a subject alternative name");
  name.release();
}

GeneralNamePtr email_name(const std::string& email) {
  std::size_t at = email.find('@');
  bool ok = at != std::string::npos && at != 0 && at + 1 != email.size() && email.find('@', at + 1) == std::string::npos;
  for (char c : email)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) ok = false;
  if (!ok)
    throw Error(ErrorKind::usage, "\"" + email + "\" is not an email address (rfc822Name, RFC 5280 4.2.1.6)",
                "give a plain ASCII address such as alice@example.com");
  StringPtr ia5(ASN1_IA5STRING_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!ia5 || !name || ASN1_STRING_set(ia5.get(), email.data(), static_cast<int>(email.size())) != 1)
    fail("encoding an email address");
  GENERAL_NAME_set0_value(name.get(), GEN_EMAIL, ia5.release());
  return name;
}

// otherName msUPN (1.3.6.1.4.1.311.20.2.3) holding a UTF8String, as Windows smart card logon reads it.
GeneralNamePtr upn_name(const std::string& upn) {
  ASN1_STRING* raw = nullptr;
  if (ASN1_mbstring_copy(&raw, reinterpret_cast<const unsigned char*>(upn.data()), static_cast<int>(upn.size()),
                         MBSTRING_UTF8, B_ASN1_UTF8STRING) < 0) {
    ERR_clear_error();
    throw Error(ErrorKind::usage, "the user principal name \"" + upn + "\" is not valid UTF-8",
                "give it as user@domain in UTF-8");
  }
  StringPtr utf8(raw);
  TypePtr value(ASN1_TYPE_new());
  ObjectPtr oid = oid_object("1.3.6.1.4.1.311.20.2.3");
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!value || !oid || !name) fail("encoding a user principal name");
  ASN1_TYPE_set(value.get(), V_ASN1_UTF8STRING, utf8.release());
  if (GENERAL_NAME_set0_othername(name.get(), oid.get(), value.get()) != 1) fail("encoding a user principal name");
  oid.release();
  value.release();
  return name;
}

void add_subject_alt_name(X509* cert, const CertificateProfile& profile) {
  if (profile.email.empty() && profile.upn.empty()) return;
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) fail("allocating subject alternative names");
  if (!profile.email.empty()) push_name(names.get(), email_name(profile.email));
  if (!profile.upn.empty()) push_name(names.get(), upn_name(profile.upn));
  add_extension(cert, NID_subject_alt_name, names.get(), false, "subject alternative name");
}

// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING.
OctetStringPtr key_identifier(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  OctetStringPtr id(ASN1_OCTET_STRING_new());
  if (!id || X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1 || ASN1_OCTET_STRING_set(id.get(), md, static_cast<int>(len)) != 1)
    fail("computing a key identifier");
  return id;
}

Bytes random_serial() {
  Bytes serial = random_bytes(16);
  serial[0] = static_cast<std::uint8_t>((serial[0] & 0x7F) | 0x40);  // positive, and 16 bytes long
  return serial;
}

// What every certificate issued here starts from: version 3, a random serial, the names and the public key.
X509Ptr new_certificate(const X509_NAME* issuer, const X509_NAME* subject, EVP_PKEY* public_key) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) fail("building a certificate");
  Bytes serial_bytes = random_serial();
  BignumPtr serial_bn(BN_bin2bn(serial_bytes.data(), static_cast<int>(serial_bytes.size()), nullptr));
  IntegerPtr serial(serial_bn ? BN_to_ASN1_INTEGER(serial_bn.get(), nullptr) : nullptr);
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) fail("setting the serial number");
  if (X509_set_issuer_name(cert.get(), issuer) != 1 || X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_pubkey(cert.get(), public_key) != 1)
    fail("building a certificate");
  return cert;
}

// Signs with SHA-256 (sha256WithRSAEncryption or ecdsa-with-SHA256 from the key type) and returns the DER.
Bytes sign_certificate(X509* cert, EVP_PKEY* key) {
  sha256_signature_nid(key);  // an RSA or EC key, else Error(unsupported)
  if (X509_sign(cert, key, EVP_sha256()) <= 0) fail("signing the certificate");
  return encode("encoding a certificate", [&](unsigned char** out) { return i2d_X509(cert, out); });
}

// The PEM callback: gives the passphrase, or none, and notes that one was asked for.
struct PassphraseRequest {
  const SecureString* passphrase = nullptr;
  bool asked = false;
  bool too_long = false;
};

int give_passphrase(char* buf, int size, int, void* user) {
  auto* request = static_cast<PassphraseRequest*>(user);
  request->asked = true;
  if (request->passphrase == nullptr) return -1;
  if (request->passphrase->size() > static_cast<std::size_t>(size)) {
    request->too_long = true;
    return -1;
  }
  std::memcpy(buf, request->passphrase->data(), request->passphrase->size());
  return static_cast<int>(request->passphrase->size());
}

int no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

// ---- Requests ----

void check_subject(const std::string& subject) { build_name(subject); }

void check_profile(const CertificateProfile& profile) {
  build_name(profile.subject);
  if (profile.days < 1 || profile.days > 36525)
    throw Error(ErrorKind::usage, "a certificate cannot be valid for " + std::to_string(profile.days) + " days",
                "give a number of days from 1 to 36525");
  X509Ptr scratch(X509_new());  // the extensions are built the same way issue() builds them
  if (!scratch) fail("building a certificate");
  add_key_usage(scratch.get(), profile.key_usage);
  add_extended_key_usage(scratch.get(), profile.extended_key_usage);
  add_subject_alt_name(scratch.get(), profile);
}

Bytes make_csr(ByteView spki_der, const std::string& subject, const ExternalSigner& sign) {
  NamePtr name = build_name(subject);
  PkeyPtr key = read_spki(spki_der);
  const int signature_nid = sha256_signature_nid(key.get());

  ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), name.get()) != 1 || X509_REQ_set_pubkey(req.get(), key.get()) != 1)
    fail("building a certificate request");
  Bytes tbs = encode("encoding a certificate request", [&](unsigned char** out) {
    return i2d_re_X509_REQ_tbs(req.get(), out);
  });

  Bytes signature = sign(tbs);
  if (signature.empty())
    throw Error(ErrorKind::crypto, "the signer returned no signature for the certificate request",
                "check the card and the key slot, then try again");

  AlgorPtr algorithm(X509_ALGOR_new());
  // RSA signature algorithms carry NULL parameters (RFC 4055 5); ECDSA ones carry none (RFC 5758 3.2).
  if (!algorithm ||
      X509_ALGOR_set0(algorithm.get(), OBJ_nid2obj(signature_nid),
                      signature_nid == NID_sha256WithRSAEncryption ? V_ASN1_NULL : V_ASN1_UNDEF, nullptr) != 1 ||
      X509_REQ_set1_signature_algo(req.get(), algorithm.get()) != 1)
    fail("setting the request's signature algorithm");
  X509_REQ_set0_signature(req.get(), signature_bits(signature).release());

  int ok = X509_REQ_verify(req.get(), key.get());
  ERR_clear_error();
  if (ok != 1)
    throw Error(ErrorKind::crypto, "the signature over the certificate request does not verify with its public key",
                "the card signed with another key: check that the slot holds the key whose public key was given");
  return encode("encoding a certificate request", [&](unsigned char** out) { return i2d_X509_REQ(req.get(), out); });
}

Bytes csr_public_key(ByteView csr_der) {
  ReqPtr req = read_csr(csr_der);
  verified_csr_key(req.get());
  return encode("encoding a public key",
                [&](unsigned char** out) { return i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req.get()), out); });
}

// ---- The CA ----

CertificateAuthority CertificateAuthority::load(const std::string& certificate_pem, const std::string& key_pem,
                                                const SecureString* passphrase) {
  Bytes cert_text = files::read(certificate_pem);
  BioPtr cert_bio = memory_bio(cert_text.data(), cert_text.size());
  X509Ptr cert(PEM_read_bio_X509(cert_bio.get(), nullptr, no_passphrase, nullptr));
  if (!cert) {
    ERR_clear_error();
    throw Error(ErrorKind::io, certificate_pem + " is not a PEM certificate",
                "give the CA certificate in PEM (-----BEGIN CERTIFICATE-----)");
  }
  if (X509_check_ca(cert.get()) == 0)
    throw Error(ErrorKind::usage,
                certificate_pem + " is not a CA certificate (no basicConstraints CA:TRUE, or no keyCertSign)",
                "give the certificate of the CA that is to sign");

  files::require_private(key_pem, "the CA key");
  SecureBytes key_text = files::read_secret(key_pem);
  BioPtr key_bio = memory_bio(key_text.data(), key_text.size());
  PassphraseRequest request;
  request.passphrase = passphrase;
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, give_passphrase, &request));
  if (!key) {
    ERR_clear_error();
    if (request.asked && passphrase == nullptr)
      throw Error(ErrorKind::usage, "the CA key " + key_pem + " is encrypted and no passphrase was given",
                  "give the CA key's passphrase, or use an unencrypted key file (mode 0600)");
    if (request.too_long)
      throw Error(ErrorKind::usage, "the passphrase for the CA key " + key_pem + " is too long",
                  "check the passphrase");
    if (request.asked)
      throw Error(ErrorKind::auth_failed, "wrong passphrase for the CA key " + key_pem,
                  "check the passphrase and try again");
    throw Error(ErrorKind::io, key_pem + " is not a PEM private key",
                "give the CA's private key in PEM (-----BEGIN PRIVATE KEY----- or an encrypted one)");
  }
  if (!EVP_PKEY_is_a(key.get(), "RSA") && !EVP_PKEY_is_a(key.get(), "EC"))
    throw Error(ErrorKind::unsupported,
                "the CA key " + key_pem + " is a " + EVP_PKEY_get0_type_name(key.get()) + " key",
                "use an RSA or EC CA key");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    throw Error(ErrorKind::usage, "the CA key " + key_pem + " does not match the CA certificate " + certificate_pem,
                "give the key that belongs to the certificate");
  }
  return CertificateAuthority(cert.release(), key.release());
}

Bytes CertificateAuthority::issue(ByteView csr_der, const CertificateProfile& profile,
                                  std::chrono::system_clock::time_point now) const {
  ReqPtr req = read_csr(csr_der);
  EVP_PKEY* public_key = verified_csr_key(req.get());
  NamePtr subject = build_name(profile.subject);
  if (profile.days < 1 || profile.days > 36525)
    throw Error(ErrorKind::usage, "a certificate cannot be valid for " + std::to_string(profile.days) + " days",
                "give a number of days from 1 to 36525");

  X509Ptr cert = new_certificate(X509_get_subject_name(certificate_), subject.get(), public_key);
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), t - 5 * 60) == nullptr ||
      ASN1_TIME_adj(X509_getm_notAfter(cert.get()), t, profile.days, 0) == nullptr)
    fail("setting the validity");

  BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
  if (!constraints) fail("allocating basic constraints");
  constraints->ca = 0;
  add_extension(cert.get(), NID_basic_constraints, constraints.get(), true, "basic constraints");
  add_key_usage(cert.get(), profile.key_usage);
  add_extended_key_usage(cert.get(), profile.extended_key_usage);
  add_subject_alt_name(cert.get(), profile);
  add_extension(cert.get(), NID_subject_key_identifier, key_identifier(cert.get()).get(), false,
                "subject key identifier");
  AuthorityKeyIdPtr authority(AUTHORITY_KEYID_new());
  if (!authority) fail("allocating the authority key identifier");
  if (const ASN1_OCTET_STRING* ca_id = X509_get0_subject_key_id(certificate_))
    authority->keyid = ASN1_OCTET_STRING_dup(ca_id);
  else
    authority->keyid = key_identifier(certificate_).release();
  if (authority->keyid == nullptr) fail("copying the CA's key identifier");
  add_extension(cert.get(), NID_authority_key_identifier, authority.get(), false, "authority key identifier");

  return sign_certificate(cert.get(), key_);
}

// ---- Certificates signed with a key given as DER (the reference card's attestation key) ----

Bytes self_signed_ca_certificate(ByteView private_der, const std::string& subject,
                                 std::chrono::system_clock::time_point not_before) {
  PkeyPtr key = read_private_key(private_der);
  NamePtr name = build_name(subject);
  X509Ptr cert = new_certificate(name.get(), name.get(), key.get());
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), std::chrono::system_clock::to_time_t(not_before)) == nullptr ||
      ASN1_TIME_set_string_X509(X509_getm_notAfter(cert.get()), "99991231235959Z") != 1)
    fail("setting the validity");
  BasicConstraintsPtr constraints(BASIC_CONSTRAINTS_new());
  if (!constraints) fail("allocating basic constraints");
  constraints->ca = 0xFF;
  add_extension(cert.get(), NID_basic_constraints, constraints.get(), true, "basic constraints");
  BitStringPtr usage(ASN1_BIT_STRING_new());
  if (!usage || ASN1_BIT_STRING_set_bit(usage.get(), 5, 1) != 1) fail("setting the keyCertSign bit");  // RFC 5280 4.2.1.3
  add_extension(cert.get(), NID_key_usage, usage.get(), true, "key usage");
  add_extension(cert.get(), NID_subject_key_identifier, key_identifier(cert.get()).get(), false,
                "subject key identifier");
  return sign_certificate(cert.get(), key.get());
}

Bytes issue_under(ByteView subject_spki, const std::string& subject, const std::vector<RawExtension>& extensions,
                  ByteView issuer_der, ByteView issuer_key_der) {
  X509Ptr issuer = read_certificate(issuer_der);
  PkeyPtr key = read_private_key(issuer_key_der);
  PkeyPtr public_key = read_spki(subject_spki);
  NamePtr name = build_name(subject);
  X509Ptr cert = new_certificate(X509_get_subject_name(issuer.get()), name.get(), public_key.get());
  if (X509_set1_notBefore(cert.get(), X509_get0_notBefore(issuer.get())) != 1 ||
      X509_set1_notAfter(cert.get(), X509_get0_notAfter(issuer.get())) != 1)
    fail("copying the validity");
  for (const auto& e : extensions) {
    ObjectPtr oid = oid_object(e.oid);
    if (!oid) throw Error(ErrorKind::usage, "\"" + e.oid + "\" is not an OID", "write it dotted, e.g. 1.3.6.1.4.1.41482.3.3");
    OctetStringPtr value(ASN1_OCTET_STRING_new());
    if (!value || ASN1_OCTET_STRING_set(value.get(), e.value.data(), static_cast<int>(e.value.size())) != 1)
      fail("encoding an extension");
    ExtensionPtr extension(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
    if (!extension || X509_add_ext(cert.get(), extension.get(), -1) != 1) fail("adding the extension " + e.oid);
  }
  return sign_certificate(cert.get(), key.get());
}

Bytes CertificateAuthority::certificate_der() const {
  return encode("encoding the CA certificate", [&](unsigned char** out) { return i2d_X509(certificate_, out); });
}

CertificateAuthority::CertificateAuthority(CertificateAuthority&& other) noexcept
    : certificate_(std::exchange(other.certificate_, nullptr)), key_(std::exchange(other.key_, nullptr)) {}

CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&& other) noexcept {
  if (this != &other) {
    X509_free(certificate_);
    EVP_PKEY_free(key_);
    certificate_ = std::exchange(other.certificate_, nullptr);
    key_ = std::exchange(other.key_, nullptr);
  }
  return *this;
}

CertificateAuthority::~CertificateAuthority() {
  X509_free(certificate_);
  EVP_PKEY_free(key_);
}

// ---- Reading certificates, PEM ----

CertificateInfo certificate_info(ByteView der) {
  X509Ptr cert = read_certificate(der);
  CertificateInfo info;
  info.subject = name_text(X509_get_subject_name(cert.get()));
  info.issuer = name_text(X509_get_issuer_name(cert.get()));
  BignumPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (!serial) fail("reading the serial number");
  Bytes magnitude(static_cast<std::size_t>(BN_num_bytes(serial.get())));
  BN_bn2bin(serial.get(), magnitude.data());
  info.serial_hex = (BN_is_negative(serial.get()) ? "-" : "") + (magnitude.empty() ? "00" : to_hex(magnitude));
  info.not_before = utc_text(X509_get0_notBefore(cert.get()));
  info.not_after = utc_text(X509_get0_notAfter(cert.get()));
  info.public_key_spki = encode("encoding a public key", [&](unsigned char** out) {
    return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), out);
  });
  return info;
}

namespace {
bool is_certificate_label(std::string_view label) {
  return label == "CERTIFICATE" || label == "CERTIFICATE REQUEST";
}
}  // namespace

Bytes pem_to_der(std::string_view pem) {
  BioPtr bio = memory_bio(pem.data(), pem.size());
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
    ERR_clear_error();
    throw Error(ErrorKind::usage, "no PEM block found",
                "give a PEM certificate or certificate request (-----BEGIN CERTIFICATE-----)");
  }
  std::string label = name;
  Bytes der(data, data + len);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  if (!is_certificate_label(label) && label != "NEW CERTIFICATE REQUEST")
    throw Error(ErrorKind::usage, "the PEM block is a " + label + ", not a CERTIFICATE or CERTIFICATE REQUEST",
                "give a certificate or a certificate request");
  return der;
}

std::string der_to_pem(ByteView der, std::string_view label) {
  if (!is_certificate_label(label))
    throw Error(ErrorKind::usage, "cannot write a PEM " + std::string(label),
                "the label is CERTIFICATE or CERTIFICATE REQUEST");
  if (der.empty()) throw Error(ErrorKind::usage, "nothing to write as PEM");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio(bio.get(), std::string(label).c_str(), "", der.data(), static_cast<long>(der.size())) <= 0)
    fail("writing PEM");
  return bio_text(bio.get());
}

}  // namespace cardctl::crypto
