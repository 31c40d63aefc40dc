#pragma once

// A deliberately plain HTTP client for poking the loopback listener the way a browser, a
// stale tab or a stray program would: one request per connection, blocking, with a
// deadline, over IPv4 or IPv6.

#include <chrono>
#include <string>
#include <string_view>

namespace vegha::test {

struct RawResponse {
    int status = 0;  // 0: no answer (refused, reset, closed or timed out)
    std::string head;
    std::string body;

    bool has_header(std::string_view line) const;
};

// Sends `request` as is to host:port (an IP literal) and reads until the server closes.
RawResponse raw_exchange(const std::string& host, unsigned short port, const std::string& request,
                         std::chrono::milliseconds deadline = std::chrono::seconds(5));

// GET `target` with a minimal set of headers, as a browser would send it.
RawResponse http_get(unsigned short port, std::string_view target,
                     const std::string& host = "127.0.0.1");

// True when a TCP connection to host:port is accepted.
bool accepts_connections(const std::string& host, unsigned short port);

// A connection that sends nothing (a browser's speculative preconnection); closed on
// destruction.
class IdleConnection {
public:
    IdleConnection(const std::string& host, unsigned short port);
    ~IdleConnection();
    IdleConnection(const IdleConnection&) = delete;
    IdleConnection& operator=(const IdleConnection&) = delete;

private:
    int fd_ = -1;
};

}  // namespace vegha::test
