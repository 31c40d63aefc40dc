#pragma once

// A value that must never reach a log, a terminal or an error message by accident: tokens,
// client secrets, passwords, authorization codes. Secret has no stream operator and no fmt
// formatter, so printing one does not compile; the only way to the bytes is reveal(), which
// is easy to grep for. The buffer is wiped when the value is destroyed or replaced.

#include <string>
#include <string_view>

namespace vegha {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value);
    explicit Secret(std::string_view value) : value_(value) {}

    Secret(const Secret& other) : value_(other.value_) {}
    Secret(Secret&& other) noexcept;
    Secret& operator=(const Secret& other);
    Secret& operator=(Secret&& other) noexcept;
    ~Secret();

    // The plaintext. Call it only where the value leaves for its rightful recipient: an
    // HTTP request to the provider, or the IPC reply to the caller that asked for it.
    std::string_view reveal() const noexcept { return value_; }

    bool empty() const noexcept { return value_.empty(); }
    std::size_t size() const noexcept { return value_.size(); }

    // A short, non-reversible tag (the first 8 hex digits of SHA-256) for logs that need
    // to tell two values apart without showing either.
    std::string fingerprint() const;

    friend bool operator==(const Secret& a, const Secret& b) noexcept;

private:
    void wipe() noexcept;

    std::string value_;
};

}  // namespace vegha
