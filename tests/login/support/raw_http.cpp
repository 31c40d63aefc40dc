#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace vegha::test {
namespace {

int connect_to(const std::string& host, unsigned short port) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        length = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        length = sizeof(sockaddr_in6);
    } else {
        throw std::invalid_argument("not an IP literal: " + host);
    }
    const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

bool RawResponse::has_header(std::string_view line) const {
    return head.find(std::string(line) + "\r\n") != std::string::npos;
}

RawResponse raw_exchange(const std::string& host, unsigned short port, const std::string& request,
                         std::chrono::milliseconds deadline) {
    RawResponse response;
    const int fd = connect_to(host, port);
    if (fd < 0) {
        return response;
    }
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);

    std::string raw;
    const auto until = std::chrono::steady_clock::now() + deadline;
    char buffer[4096];
    while (std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) {
            continue;
        }
        const ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0) {
            break;
        }
        raw.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);

    const auto split = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || split == std::string::npos) {
        return response;
    }
    response.status = std::stoi(raw.substr(9, 3));
    response.head = raw.substr(0, split + 2);
    response.body = raw.substr(split + 4);
    return response;
}

RawResponse http_get(unsigned short port, std::string_view target, const std::string& host) {
    const std::string host_header = host.find(':') == std::string::npos ? host : "[" + host + "]";
    const std::string request = "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + host_header +
                                ":" + std::to_string(port) +
                                "\r\nUser-Agent: login-tests\r\nAccept: text/html\r\n\r\n";
    return raw_exchange(host, port, request);
}

bool accepts_connections(const std::string& host, unsigned short port) {
    const int fd = connect_to(host, port);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    return true;
}

IdleConnection::IdleConnection(const std::string& host, unsigned short port)
    : fd_(connect_to(host, port)) {}

IdleConnection::~IdleConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

}  // namespace vegha::test
