#include "vpcd_slot.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "cardctl/apdu.hpp"
#include "cardctl/error.hpp"

namespace cardsim {

namespace {

// vpcd control bytes (vsmartcard vpcd.h: VPCD_CTRL_OFF/ON/RESET/ATR).
constexpr std::uint8_t kPowerOff = 0x00;
constexpr std::uint8_t kPowerOn = 0x01;
constexpr std::uint8_t kReset = 0x02;
constexpr std::uint8_t kAtr = 0x04;

constexpr int kReconnectMs = 200;   // while vpcd (pcscd) is not there
constexpr int kReceiveTimeoutS = 5;  // a message that starts must finish

// vpcd writes each frame as two segments (length, then payload) with Nagle's algorithm on: it holds the payload
// until the length is acknowledged, and a delayed ACK here would cost about 40 ms per APDU. Linux clears
// TCP_QUICKACK on its own, so it is set again before every read.
void quick_ack(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

bool read_exact(int fd, std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    quick_ack(fd);
    const ssize_t r = ::recv(fd, out, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    out += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_all(int fd, const std::uint8_t* data, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::send(fd, data, n, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

std::string hex_byte(std::uint8_t b) {
  static const char* digits = "0123456789ABCDEF";
  return {digits[b >> 4], digits[b & 0x0F]};
}

}  // namespace

VpcdSlot::VpcdSlot(int index, std::string file, const ServeOptions& options, const DelayProfile& delays,
                   cardctl::sim::ReferenceCard card)
    : index_(index), file_(std::move(file)), options_(options), delays_(delays),
      port_(static_cast<std::uint16_t>(options.port + index)), card_(std::move(card)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw cardctl::Error(cardctl::ErrorKind::internal, std::string("pipe: ") + std::strerror(errno));
  }
  atr_hex_ = cardctl::to_hex(card_.atr());
  vanished_ = card_.vanished();
  inserted_ = !vanished_;
}

VpcdSlot::~VpcdSlot() {
  if (fd_ >= 0) ::close(fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void VpcdSlot::log(const std::string& line) const { say("card " + std::to_string(index_) + ": " + line); }

void VpcdSlot::wake() {
  const std::uint8_t b = 1;
  [[maybe_unused]] const ssize_t r = ::write(wake_[1], &b, 1);  // a full pipe is already a wake-up
}

void VpcdSlot::wait_for_wake(int timeout_ms) {
  pollfd p{wake_[0], POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) > 0) drain_wake();
}

void VpcdSlot::drain_wake() {
  std::uint8_t buffer[64];
  while (::read(wake_[0], buffer, sizeof buffer) > 0) {
  }
}

void VpcdSlot::request(Request r) {
  std::unique_lock lock(mutex_);
  requests_.push_back(r);
  const std::uint64_t ticket = ++requested_;
  wake();
  if (!applied_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return applied_ >= ticket; })) {
    throw cardctl::Error(cardctl::ErrorKind::internal, "card " + std::to_string(index_) + " did not respond");
  }
}

void VpcdSlot::remove() { request({Op::remove}); }
void VpcdSlot::insert() { request({Op::insert}); }
void VpcdSlot::vanish_after(std::uint64_t n) { request({Op::vanish_after, n}); }
void VpcdSlot::swap_in_factory_card(std::uint32_t serial) { request({Op::swap, serial}); }

SlotStatus VpcdSlot::status() const {
  std::lock_guard lock(mutex_);
  return {index_, file_, port_, atr_hex_, inserted_, connected_, vanished_, apdus_};
}

void VpcdSlot::apply_requests() {
  std::deque<Request> todo;
  {
    std::lock_guard lock(mutex_);
    todo.swap(requests_);
  }
  for (const Request& r : todo) {
    switch (r.op) {
      case Op::remove: {
        std::lock_guard lock(mutex_);
        inserted_ = false;
        break;
      }
      case Op::insert: {
        card_.reappear();
        save();
        std::lock_guard lock(mutex_);
        inserted_ = true;
        vanished_ = false;
        break;
      }
      case Op::swap: {
        if (fd_ >= 0) disconnect("swapped");  // the reader sees the old card go before the new one comes
        cardctl::sim::CardOptions o = card_.options();
        o.serial = static_cast<std::uint32_t>(r.n);
        card_ = cardctl::sim::ReferenceCard::factory(o);
        save();
        std::lock_guard lock(mutex_);
        inserted_ = true;
        vanished_ = false;
        break;
      }
      case Op::vanish_after:
        card_.vanish_after(r.n);
        save();
        log("vanishes after " + std::to_string(r.n) + " more APDUs");
        break;
    }
  }
  bool inserted = false;
  {
    std::lock_guard lock(mutex_);
    inserted = inserted_;
  }
  if (!inserted && fd_ >= 0) disconnect("removed");
  std::lock_guard lock(mutex_);
  applied_ += todo.size();
  applied_cv_.notify_all();
}

bool VpcdSlot::try_connect() {
  addrinfo hints{};
  hints.ai_family = AF_INET;  // vpcd listens on IPv4 only
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(options_.host.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0) return false;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return false;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // one small message per APDU
  const timeval tv{kReceiveTimeoutS, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  fd_ = fd;
  {
    std::lock_guard lock(mutex_);
    connected_ = true;
  }
  log("inserted: connected to vpcd at " + options_.host + ":" + std::to_string(port_));
  return true;
}

// Taking a card out of the reader cuts its power: the session state (PIN verified, admin authentication,
// challenge) is gone when it comes back.
void VpcdSlot::disconnect(const std::string& why) {
  ::close(fd_);
  fd_ = -1;
  {
    std::lock_guard lock(mutex_);
    connected_ = false;
  }
  card_.reset();
  save();
  log(why);
}

void VpcdSlot::save() {
  try {
    card_.save(file_);
  } catch (const cardctl::Error& e) {
    log(std::string("error: cannot save the card: ") + e.what());
  }
}

void VpcdSlot::run(const std::atomic<bool>& stopping) {
  while (!stopping) {
    try {
      step();
    } catch (const std::exception& e) {
      log(std::string("error: ") + e.what());
      if (fd_ >= 0) disconnect("disconnected after the error");
      wait_for_wake(kReconnectMs);
    }
  }
  if (fd_ >= 0) disconnect("stopped");
}

void VpcdSlot::step() {
  apply_requests();
  bool inserted = false;
  {
    std::lock_guard lock(mutex_);
    inserted = inserted_;
  }
  if (!inserted) {
    wait_for_wake(-1);
    return;
  }
  if (fd_ < 0 && !try_connect()) {
    wait_for_wake(kReconnectMs);
    return;
  }
  pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  if (::poll(p, 2, -1) < 0) return;
  if (p[1].revents != 0) drain_wake();
  if (p[0].revents != 0 && fd_ >= 0 && !serve_message()) {
    disconnect("vpcd closed the connection (pcscd stopped?); reconnecting");
    wait_for_wake(kReconnectMs);
  }
}

bool VpcdSlot::serve_message() {
  std::uint8_t header[2];
  if (!read_exact(fd_, header, sizeof header)) return false;
  cardctl::Bytes payload(static_cast<std::size_t>(header[0]) << 8 | header[1]);
  if (!payload.empty() && !read_exact(fd_, payload.data(), payload.size())) return false;
  if (payload.empty()) return true;
  if (payload.size() == 1) return answer_control(payload[0]);
  return answer_apdu(payload);
}

bool VpcdSlot::answer_control(std::uint8_t code) {
  switch (code) {
    case kAtr:
      return send_message(card_.atr());
    case kReset:
      // Warm reset (SCARD_RESET_CARD): the session state is cleared.
      if (options_.verbose) log("reset");
      card_.reset();
      save();
      return true;
    case kPowerOff:
      // pcscd powers idle cards off and on again. The reference card keeps its session across that, as it
      // keeps a pending challenge across connections (docs/protocol.md#session-rules); a reset or a removal clears it.
      if (options_.verbose) log("power off");
      return true;
    case kPowerOn:
      if (options_.verbose) log("power on");
      return true;
    default:
      log("unknown vpcd control byte " + hex_byte(code) + " ignored");
      return true;
  }
}

bool VpcdSlot::answer_apdu(const cardctl::Bytes& command) {
  cardctl::Bytes reply;
  try {
    reply = card_.process(command);
  } catch (const cardctl::Error& e) {
    if (e.kind() != cardctl::ErrorKind::card_removed) throw;
    // Fault injection: the card leaves the reader without answering.
    {
      std::lock_guard lock(mutex_);
      inserted_ = false;
      vanished_ = true;
    }
    disconnect("vanished (fault injection); `insert " + std::to_string(index_) + "` brings it back");
    return true;
  }
  {
    std::lock_guard lock(mutex_);
    ++apdus_;
  }
  save();
  // The delay comes after the work, so that it can depend on what the card did (a refused GENERATE is quick on a
  // real card too); the client sees the same total either way. The sim's own compute time comes on top.
  if (reply.size() >= 2) {
    const auto sw = static_cast<std::uint16_t>(reply[reply.size() - 2] << 8 | reply.back());
    const auto delay = delay_for(command, sw, delays_);
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
  }
  if (options_.verbose && command.size() >= 4 && reply.size() >= 2) {
    log("INS " + hex_byte(command[1]) + " P1P2 " + hex_byte(command[2]) + hex_byte(command[3]) + " -> SW " +
        hex_byte(reply[reply.size() - 2]) + hex_byte(reply.back()));
  }
  return send_message(reply);
}

bool VpcdSlot::send_message(cardctl::ByteView payload) {
  cardctl::Bytes frame;
  frame.reserve(payload.size() + 2);
  frame.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
  frame.push_back(static_cast<std::uint8_t>(payload.size() & 0xFF));
  frame.insert(frame.end(), payload.begin(), payload.end());
  return write_all(fd_, frame.data(), frame.size());
}

}  // namespace cardsim
