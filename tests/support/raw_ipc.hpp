#pragma once

// A deliberately low-level IPC peer for tests that send what no well-behaved client would:
// truncated frames, oversized headers, invalid JSON.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace vegha::test {

class RawConnection {
public:
    explicit RawConnection(const std::filesystem::path& socket_path);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return fd_ >= 0; }

    // Writes bytes as they are.
    void send_raw(std::string_view bytes);
    // Writes one well-formed frame around `body`.
    void send_frame(std::string_view body);
    // Closes the writing side, as a client that gives up mid-frame.
    void shutdown_write();

    // The next frame's body; nullopt when the daemon closed the connection or sent nothing
    // before the deadline (closed_by_peer() tells which).
    std::optional<std::string> read_frame(
        std::chrono::milliseconds deadline = std::chrono::seconds(10));
    bool closed_by_peer() const { return closed_; }

private:
    bool read_exact(char* out, std::size_t size, std::chrono::steady_clock::time_point until);

    int fd_ = -1;
    bool closed_ = false;
};

}  // namespace vegha::test
