// How long a caller waits for a cached token, next to the floor this machine sets: a raw
// request/response over a Unix socket between two processes with no work in between. Also
// reports the daemon's memory before and after caching many tokens.
//
// Prints figures; asserts nothing. Run: build/default/bench/cache_hit_bench [iterations]

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/broker_env.hpp"
#include "vegha/client.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using vegha::test::Daemon;
using vegha::test::DemoIdp;

struct Summary {
    double p50_us = 0;
    double p99_us = 0;
    double per_second = 0;
};

Summary summarise(std::vector<double> micros, double total_seconds) {
    std::sort(micros.begin(), micros.end());
    return {micros[micros.size() / 2], micros[micros.size() * 99 / 100],
            static_cast<double>(micros.size()) / total_seconds};
}

void print(const char* what, const Summary& s) {
    std::printf("%-44s p50 %7.1f us   p99 %7.1f us   %9.0f /s\n", what, s.p50_us, s.p99_us,
                s.per_second);
}

bool full_io(int fd, char* data, std::size_t size, bool write_side) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = write_side ? ::send(fd, data + done, size - done, MSG_NOSIGNAL)
                                     : ::read(fd, data + done, size - done);
        if (n <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// A forked echo-like server: reads 128 bytes, answers 1,200 (the size of a cached-token
// reply), so the round trip measures only the kernel and the scheduler.
Summary raw_socket_floor(int iterations) {
    int pair[2];
    ::socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(pair[0]);
        std::vector<char> request(128), reply(1200, 'x');
        while (full_io(pair[1], request.data(), request.size(), false)) {
            full_io(pair[1], reply.data(), reply.size(), true);
        }
        ::_exit(0);
    }
    ::close(pair[1]);
    std::vector<char> request(128, 'r'), reply(1200);
    std::vector<double> micros;
    const auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) {
        const auto t0 = Clock::now();
        full_io(pair[0], request.data(), request.size(), true);
        full_io(pair[0], reply.data(), reply.size(), false);
        micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    const double total = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(pair[0]);
    ::waitpid(child, nullptr, 0);
    return summarise(std::move(micros), total);
}

Summary cached_token_round_trips(const Daemon& daemon, int iterations, int callers) {
    std::vector<std::vector<double>> per_caller(static_cast<std::size_t>(callers));
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < callers; ++c) {
        threads.emplace_back([&, c] {
            vegha::client::Client client({daemon.socket_path().string()});
            auto& micros = per_caller[static_cast<std::size_t>(c)];
            for (int i = 0; i < iterations / callers; ++i) {
                const auto t0 = Clock::now();
                auto token = client.get_token({"service"});
                if (!token || !token->from_cache) {
                    std::fprintf(stderr, "unexpected: not a cache hit\n");
                    std::exit(1);
                }
                micros.push_back(
                    std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const double total = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& micros : per_caller) {
        all.insert(all.end(), micros.begin(), micros.end());
    }
    return summarise(std::move(all), total);
}

long resident_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
    DemoIdp idp;
    Daemon daemon(R"({"profiles": {"service": {"grant": "client_credentials", "token_url": ")" +
                      idp.token_url() + R"(", "client_id": "demo-service",
                  "client_secret": "demo-service-secret", "scopes": ["api:read"]}}})",
                  {}, "info");
    if (!vegha::client::get_token("service", {daemon.socket_path().string()})) {
        std::fprintf(stderr, "cannot obtain the first token\n");
        return 1;
    }

    std::printf("%d round trips each, %u cores\n\n", iterations,
                std::thread::hardware_concurrency());
    print("raw Unix socket, 128 B -> 1,200 B (floor)", raw_socket_floor(iterations));
    print("cached get_token, 1 caller", cached_token_round_trips(daemon, iterations, 1));
    print("cached get_token, 4 callers", cached_token_round_trips(daemon, iterations, 4));
    print("cached get_token, 16 callers", cached_token_round_trips(daemon, iterations, 16));

    const pid_t pid = daemon.process().pid();
    const long before = resident_kib(pid);
    vegha::client::Client client({daemon.socket_path().string()});
    constexpr int kDistinctTokens = 1000;
    for (int i = 0; i < kDistinctTokens; ++i) {
        // Each audience is a distinct cache key, hence a distinct token.
        const std::string config = R"({"grant": "client_credentials", "token_url": ")" +
                                   idp.token_url() +
                                   R"(", "client_id": "demo-service", "client_secret":
                                   "demo-service-secret", "scopes": "api:read",
                                   "audience": "bench-)" +
                                   std::to_string(i) + R"("})";
        if (!client.get_token({"", config})) {
            std::fprintf(stderr, "token %d failed\n", i);
            return 1;
        }
    }
    const long after = resident_kib(pid);
    std::printf(
        "\ndaemon resident memory: %ld KiB with 1 token, %ld KiB with %d (%.1f KiB per "
        "token)\n",
        before, after, kDistinctTokens + 1, static_cast<double>(after - before) / kDistinctTokens);
    return 0;
}
