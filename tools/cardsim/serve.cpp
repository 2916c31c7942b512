// cardsim serve: presents reference cards to pcscd through vpcd, one thread per card (so that per-APDU delays
// of one card do not hold up the others), until SIGTERM or SIGINT.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "cardctl/error.hpp"
#include "cardctl/sim_card.hpp"
#include "cardctl/sim_transport.hpp"
#include "cardsim.hpp"
#include "control_server.hpp"
#include "delay_profile.hpp"
#include "vpcd_slot.hpp"

namespace cardsim {

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string status_json(const std::vector<std::unique_ptr<VpcdSlot>>& slots) {
  std::string out = "{\"cards\":[";
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const SlotStatus s = slots[i]->status();
    if (i > 0) out += ",";
    out += "{\"index\":" + std::to_string(s.index) + ",\"file\":" + json_string(s.file) +
           ",\"port\":" + std::to_string(s.port) + ",\"atr\":" + json_string(s.atr) + ",\"inserted\":" + (s.inserted ? "true" : "false") +
           ",\"connected\":" + (s.connected ? "true" : "false") + ",\"vanished\":" + (s.vanished ? "true" : "false") +
           ",\"apdus\":" + std::to_string(s.apdus) + "}";
  }
  return out + "]}";
}

std::optional<std::uint64_t> number(const std::string& word) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), n);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return n;
}

// One control line -> one answer line.
std::string handle_command(const std::string& line, const std::vector<std::unique_ptr<VpcdSlot>>& slots) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return "error: empty command";
  const std::string& verb = words[0];
  if (verb == "status" && words.size() == 1) return status_json(slots);

  const bool takes_one = verb == "remove" || verb == "insert";
  const bool takes_two = verb == "vanish-after" || verb == "swap";
  if (!takes_one && !takes_two) {
    return "error: unknown command '" + line + "'; use remove N, insert N, swap N SERIAL, vanish-after N K or status";
  }
  if (words.size() != (takes_one ? 2U : 3U))
    return "error: usage: " + verb + (takes_one ? " N" : verb == "swap" ? " N SERIAL" : " N K");
  const auto index = number(words[1]);
  if (!index || *index >= slots.size()) {
    return "error: no card " + words[1] + " (cards 0-" + std::to_string(slots.size() - 1) + ")";
  }
  VpcdSlot& slot = *slots[*index];
  try {
    if (verb == "remove") {
      slot.remove();
    } else if (verb == "insert") {
      slot.insert();
    } else if (verb == "swap") {
      const auto serial = number(words[2]);
      if (!serial || *serial > 0xFFFFFFFFu) return "error: swap needs a serial number, not '" + words[2] + "'";
      slot.swap_in_factory_card(static_cast<std::uint32_t>(*serial));
    } else {
      const auto n = number(words[2]);
      if (!n) return "error: vanish-after needs a number of APDUs, not '" + words[2] + "'";
      slot.vanish_after(*n);
    }
  } catch (const cardctl::Error& e) {
    return std::string("error: ") + e.what();
  }
  return "ok";
}

class SignalFd {
 public:
  SignalFd() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    // Blocked before any thread starts, so every thread inherits the mask and only the signalfd sees them.
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    fd_ = ::signalfd(-1, &set_, SFD_CLOEXEC);
    if (fd_ < 0) throw cardctl::Error(cardctl::ErrorKind::internal, std::string("signalfd: ") + std::strerror(errno));
  }
  ~SignalFd() { ::close(fd_); }
  int fd() const { return fd_; }
  int take() {
    signalfd_siginfo info{};
    return ::read(fd_, &info, sizeof info) == sizeof info ? static_cast<int>(info.ssi_signo) : 0;
  }

 private:
  sigset_t set_;
  int fd_ = -1;
};

}  // namespace

int run_serve(const ServeOptions& options) {
  if (options.files.size() + options.port > 65536) {
    throw cardctl::Error(cardctl::ErrorKind::usage, "too many cards for --port " + std::to_string(options.port));
  }
  // Before anything starts: an unknown profile name is a usage error.
  const DelayProfile delays = with_overrides(
      profile(options.profile), {options.apdu_delay_ms, options.keygen_delay_ms, options.sign_delay_ms});
  ::signal(SIGPIPE, SIG_IGN);
  SignalFd signals;

  // Each card stays locked while it is served: nobody else may edit a card pcscd is talking to.
  std::vector<cardctl::transport::StateFileLock> locks;
  std::vector<std::unique_ptr<VpcdSlot>> slots;
  locks.reserve(options.files.size());
  for (std::size_t i = 0; i < options.files.size(); ++i) {
    const std::string& file = options.files[i];
    require_card_file(file);
    locks.emplace_back(file);
    locks.back().acquire(std::chrono::milliseconds(0));
    slots.push_back(std::make_unique<VpcdSlot>(static_cast<int>(i), file, options, delays,
                                               cardctl::sim::ReferenceCard::load(file)));
  }

  std::unique_ptr<ControlServer> control;
  if (!options.control.empty()) {
    control = std::make_unique<ControlServer>(options.control,
                                              [&](const std::string& line) { return handle_command(line, slots); });
  }

  std::atomic<bool> stopping{false};
  std::vector<std::thread> threads;
  for (auto& slot : slots) threads.emplace_back([&stopping, s = slot.get()] { s->run(stopping); });
  say("serving " + std::to_string(slots.size()) + " card(s) to vpcd at " + options.host + " ports " +
      std::to_string(options.port) + "-" + std::to_string(options.port + slots.size() - 1) +
      (control ? "; control socket " + options.control : "") +
      (options.profile != "none" ? "; delay profile " + options.profile : ""));

  int signal = 0;
  while (signal == 0) {
    std::vector<pollfd> fds{{signals.fd(), POLLIN, 0}};
    if (control) {
      for (int fd : control->fds()) fds.push_back({fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[0].revents != 0) signal = signals.take();
    for (std::size_t i = 1; i < fds.size() && signal == 0; ++i) {
      if (fds[i].revents != 0) control->on_readable(fds[i].fd);
    }
  }

  say(std::string("stopping on ") + ::strsignal(signal));
  stopping = true;
  for (auto& slot : slots) slot->wake();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace cardsim
