#include "tests/client/fake_daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace vegha::client::testing {
namespace json = boost::json;

namespace {

// Framing written out here rather than taken from proto/, so that the client is checked
// against the specification and not against the code it shares with the daemon.
std::string frame(std::string_view body) {
    return header_only(static_cast<std::uint32_t>(body.size())) + std::string(body);
}

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

bool read_all(int fd, char* out, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(fd, out + got, size - got);
        if (n > 0) {
            got += static_cast<std::size_t>(n);
        } else if (n == 0 || errno != EINTR) {
            return false;
        }
    }
    return true;
}

void write_all(int fd, std::string_view bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EINTR) {
            return;  // the client went away; that is its test's business
        }
    }
}

}  // namespace

FakeDaemon::FakeDaemon(Handler handler, Options options)
    : handler_(std::move(handler)), options_(options) {
    std::string pattern = "/tmp/vegha-client-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        fail("mkdtemp");
    }
    runtime_dir_ = pattern;
    std::filesystem::create_directory(runtime_dir_ + "/vegha-broker");
    socket_path_ = runtime_dir_ + "/vegha-broker/broker.sock";

    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path_.c_str(), socket_path_.size());
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 16) != 0) {
        fail("cannot listen on " + socket_path_);
    }
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        fail("pipe2");
    }
    wake_read_ = pipe_fds[0];
    wake_write_ = pipe_fds[1];
    thread_ = std::thread([this] { run(); });
}

FakeDaemon::~FakeDaemon() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake();
    thread_.join();
    ::close(listener_);
    ::close(wake_read_);
    ::close(wake_write_);
    std::error_code ignored;
    std::filesystem::remove_all(runtime_dir_, ignored);
}

void FakeDaemon::wake() {
    const char byte = 1;
    while (::write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
    }
}

void FakeDaemon::close_connections() {
    std::unique_lock lock(mutex_);
    close_requested_ = true;
    lock.unlock();
    wake();
    lock.lock();
    closed_.wait(lock, [this] { return !close_requested_; });
}

int FakeDaemon::connections_accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
}

std::vector<json::object> FakeDaemon::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void FakeDaemon::run() {
    std::vector<int> open;
    for (;;) {
        std::vector<pollfd> watched{{wake_read_, POLLIN, 0}, {listener_, POLLIN, 0}};
        for (int fd : open) {
            watched.push_back({fd, POLLIN, 0});
        }
        if (::poll(watched.data(), watched.size(), -1) < 0) {
            continue;  // EINTR
        }

        if (watched[0].revents != 0) {
            char drain[16];
            [[maybe_unused]] const auto n = ::read(wake_read_, drain, sizeof(drain));
            std::lock_guard lock(mutex_);
            if (close_requested_) {
                for (int fd : open) {
                    ::close(fd);
                }
                open.clear();
                close_requested_ = false;
                closed_.notify_all();
                continue;  // the poll set named the closed descriptors
            }
            if (stop_) {
                for (int fd : open) {
                    ::close(fd);
                }
                return;
            }
        }
        if (watched[1].revents != 0) {
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                std::lock_guard lock(mutex_);
                ++accepted_;
                if (options_.hang_up_on_accept) {
                    ::close(fd);
                } else {
                    open.push_back(fd);
                }
            }
        }
        for (std::size_t i = 2; i < watched.size(); ++i) {
            if (watched[i].revents != 0) {
                serve(watched[i].fd, open);
            }
        }
    }
}

// Reads one request frame from `fd` and answers it; closes the connection on end of
// stream or when the handler says so.
void FakeDaemon::serve(int fd, std::vector<int>& open) {
    auto hang_up = [&] {
        ::close(fd);
        std::erase(open, fd);
    };

    unsigned char header[4];
    if (!read_all(fd, reinterpret_cast<char*>(header), sizeof(header))) {
        hang_up();
        return;
    }
    const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
    std::string body(size, '\0');
    if (!read_all(fd, body.data(), body.size())) {
        hang_up();
        return;
    }

    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    json::object request = !ec && parsed.is_object() ? parsed.as_object() : json::object();
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
    }

    const Response response = handler_(request);
    write_all(fd, response.bytes);
    if (response.hang_up) {
        hang_up();
    }
}

std::string header_only(std::uint32_t size) {
    return {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
            static_cast<char>(size >> 8), static_cast<char>(size)};
}

std::string result_frame(std::uint64_t id, std::string_view result_json, bool cached) {
    return frame(R"({"v":1,"id":)" + std::to_string(id) + R"(,"ok":true,"cached":)" +
                 (cached ? "true" : "false") + R"(,"result":)" + std::string(result_json) + "}");
}

std::string error_frame(std::string_view id_json, std::string_view error_json) {
    return frame(R"({"v":1,"id":)" + std::string(id_json) + R"(,"ok":false,"error":)" +
                 std::string(error_json) + "}");
}

std::string event_frame(std::uint64_t id, std::string_view name, std::string_view members_json) {
    return frame(R"({"v":1,"id":)" + std::to_string(id) + R"(,"event":")" + std::string(name) +
                 "\"" + (members_json.empty() ? "" : ",") + std::string(members_json) + "}");
}

std::uint64_t request_id(const json::object& request) {
    const json::value* id = request.if_contains("id");
    return id != nullptr && id->is_int64() ? static_cast<std::uint64_t>(id->as_int64()) : 0;
}

}  // namespace vegha::client::testing
