#pragma once

// A stand-in for vegha-brokerd that the client library can talk to inside one test: a
// thread listening on a Unix socket in a fresh temporary folder, reading request frames
// and writing whatever bytes the test's handler returns, well-formed or not.

#include <boost/json/object.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace vegha::client::testing {

// What the fake does with one request.
struct Response {
    std::string bytes;     // written as they are: a frame, part of one, or nothing
    bool hang_up = false;  // close the connection once the bytes are written
};

class FakeDaemon {
public:
    using Handler = std::function<Response(const boost::json::object& request)>;

    struct Options {
        // Close each connection as soon as it is accepted, before reading anything.
        bool hang_up_on_accept = false;
    };

    explicit FakeDaemon(Handler handler) : FakeDaemon(std::move(handler), Options{}) {}
    FakeDaemon(Handler handler, Options options);
    FakeDaemon(const FakeDaemon&) = delete;
    FakeDaemon& operator=(const FakeDaemon&) = delete;
    ~FakeDaemon();

    // <runtime_dir>/vegha-broker/broker.sock, the layout the client expects under
    // $XDG_RUNTIME_DIR.
    const std::string& socket_path() const { return socket_path_; }
    const std::string& runtime_dir() const { return runtime_dir_; }

    // Closes every open connection, as the real daemon does with idle ones, and returns
    // once they are closed.
    void close_connections();

    int connections_accepted() const;
    std::vector<boost::json::object> requests() const;

private:
    void run();
    void wake();
    void serve(int fd, std::vector<int>& open);

    Handler handler_;
    Options options_;
    std::string runtime_dir_;
    std::string socket_path_;
    int listener_ = -1;
    int wake_read_ = -1;
    int wake_write_ = -1;

    mutable std::mutex mutex_;
    std::condition_variable closed_;
    bool stop_ = false;
    bool close_requested_ = false;
    int accepted_ = 0;
    std::vector<boost::json::object> requests_;

    std::thread thread_;  // last: starts once everything above is ready
};

// Reply frames as the real daemon writes them.
std::string result_frame(std::uint64_t id, std::string_view result_json, bool cached = false);
std::string error_frame(std::string_view id_json, std::string_view error_json);
// An interim event frame: {"v":1,"id":<id>,"event":<name>, <members_json>}.
std::string event_frame(std::uint64_t id, std::string_view name, std::string_view members_json);

// A frame header announcing `size` bytes, with no body.
std::string header_only(std::uint32_t size);

std::uint64_t request_id(const boost::json::object& request);

}  // namespace vegha::client::testing
