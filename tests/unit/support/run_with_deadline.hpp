#pragma once

// Runs one coroutine on an io_context until it finishes or a deadline passes, so a test
// that would otherwise hang fails instead.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>

namespace vegha::test {

inline constexpr std::chrono::seconds kTestDeadline{20};

// Rethrows, out of io_context::run, whatever a spawned test coroutine threw.
inline void rethrow(std::exception_ptr error) {
    if (error) {
        std::rethrow_exception(error);
    }
}

// The coroutine's result, or nullopt when it had not finished by the deadline.
template <class T>
std::optional<T> run_with_deadline(boost::asio::io_context& io, boost::asio::awaitable<T> task,
                                   std::chrono::steady_clock::duration deadline = kTestDeadline) {
    std::optional<T> result;
    auto keep = [](boost::asio::awaitable<T> inner,
                   std::optional<T>& out) -> boost::asio::awaitable<void> {
        out.emplace(co_await std::move(inner));
    };
    boost::asio::co_spawn(io, keep(std::move(task), result), rethrow);
    io.run_for(deadline);
    io.restart();
    return result;
}

}  // namespace vegha::test
