#include "tests/support/broker_env.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace vegha::test {
namespace fs = std::filesystem;
namespace json = boost::json;

fs::path source_dir() {
    return VEGHA_SOURCE_DIR;
}
fs::path brokerd_path() {
    return VEGHA_BROKERD_PATH;
}
fs::path token_cli_path() {
    return VEGHA_TOKEN_CLI_PATH;
}

DemoIdp::DemoIdp(Options options) {
    const fs::path ready = dir_.path() / "ready.json";
    process_ = std::make_unique<Process>(ProcessOptions{
        .argv = {"/usr/bin/env", "node", (source_dir() / "idp" / "demo-idp.mjs").string(), "--port",
                 "0", "--ready-file", ready.string(), "--access-token-ttl",
                 std::to_string(options.access_token_ttl), "--refresh-token-ttl",
                 std::to_string(options.refresh_token_ttl)},
        .stderr_path = dir_.path() / "idp.log",
    });
    if (!wait_until([&] { return fs::exists(ready) || !process_->running(); },
                    std::chrono::seconds(20)) ||
        !fs::exists(ready)) {
        throw std::runtime_error("the demo identity provider did not start: " + log());
    }
    const json::value parsed = json::parse(read_file(ready));
    issuer_ = std::string(parsed.at("issuer").as_string());
    port_ = static_cast<int>(parsed.at("port").as_int64());
}

IdpCounters DemoIdp::counters() const {
    const json::value parsed = json::parse(http_request(port_, "GET", "/_test/counters"));
    const auto& by_grant = parsed.at("by_grant_type").as_object();
    const auto count = [&](const char* grant) {
        const auto* value = by_grant.if_contains(grant);
        return value ? static_cast<int>(value->as_int64()) : 0;
    };
    return IdpCounters{static_cast<int>(parsed.at("token_requests").as_int64()),
                       count("client_credentials"), count("password"), count("refresh_token"),
                       static_cast<int>(parsed.at("revocation_requests").as_int64())};
}

Daemon::Daemon(const std::string& config_json, DaemonOptions options) {
    const fs::path config = dir_.path() / "config.json";
    {
        std::ofstream out(config);
        out << config_json;
    }
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
    socket_ = dir_.path() / "run" / "broker.sock";
    std::vector<std::string> argv = {
        brokerd_path().string(), "--config",    config.string(),  "--socket",
        socket_.string(),        "--log-level", options.log_level};
    if (options.token_store) {
        argv.insert(argv.end(), {"--token-store", *options.token_store});
    }
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    process_ = std::make_unique<Process>(ProcessOptions{
        .argv = std::move(argv),
        .env = std::move(options.env),
        .stderr_path = dir_.path() / "daemon.log",
    });
    if (!wait_until([&] { return socket_accepts(socket_) || !process_->running(); },
                    std::chrono::seconds(20)) ||
        !socket_accepts(socket_)) {
        throw std::runtime_error("vegha-brokerd did not start: " + log());
    }
}

bool socket_accepts(const fs::path& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    ::close(fd);
    return ok;
}

std::string http_request(int port, const std::string& method, const std::string& path,
                         const std::vector<std::string>& headers) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to the provider");
    }
    std::string request = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n";
    for (const auto& header : headers) {
        request += header + "\r\n";
    }
    request += "Content-Length: 0\r\n\r\n";
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string response;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < until) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) {
            continue;
        }
        const ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n <= 0) {
            ::close(fd);
            const auto body = response.find("\r\n\r\n");
            return body == std::string::npos ? std::string() : response.substr(body + 4);
        }
        response.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    throw std::runtime_error("the provider did not answer " + path + " within 10 s");
}

}  // namespace vegha::test
