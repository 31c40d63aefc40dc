#pragma once

// The broker's IPC protocol, version 1, as C++ types: framing, the request envelope and the
// reply encoders shared by the daemon and the client library. proto/PROTOCOL.md is the
// specification; this header follows it.

#include <array>
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace vegha::proto {

inline constexpr std::int64_t kVersion = 1;

// Tokens of 10-20 KB are real (JWTs with group claims); a megabyte leaves room and still
// bounds what a misbehaving peer can make the other side allocate.
inline constexpr std::size_t kMaxFrameSize = 1024 * 1024;
inline constexpr std::size_t kHeaderSize = 4;

enum class Operation { kGetToken, kList, kStatus, kLogin, kLogout };

// A 4-byte big-endian length followed by that many bytes of JSON.
std::array<unsigned char, kHeaderSize> encode_header(std::size_t body_size) noexcept;
std::uint32_t decode_header(const unsigned char* header) noexcept;

// The header and body of one frame in one buffer, ready to write.
std::string frame(std::string_view body);

// What arrived, before anything is checked but its JSON shape. `id` is kept even when the
// rest is wrong, so the error reply can name the request it answers.
struct Request {
    std::optional<std::int64_t> version;
    std::optional<std::uint64_t> id;
    std::string op;
    boost::json::object params;
    bool params_malformed = false;  // "params" was there but not an object
};

// Fails with kMalformedFrame when the body is not a JSON object.
Result<Request> decode_request(std::string_view body);

// Checks the version and names the operation; kUnsupportedVersion, kUnknownOperation, or
// kInvalidRequest for a missing id or "params" that is not an object.
Result<Operation> check_envelope(const Request& request);

// Replies. `result` is a JSON object's text; encode_result splices it without re-parsing so
// a cached token's prepared text is sent as is.
std::string encode_result(std::optional<std::uint64_t> id, std::string_view result,
                          std::optional<bool> cached = std::nullopt);
std::string encode_result(std::optional<std::uint64_t> id, const boost::json::object& result);
std::string encode_error(std::optional<std::uint64_t> id, const Error& error);

// An interim frame the daemon sends while a request waits for a person to log in, before
// that request's reply: {"v":1,"id":7,"event":"login_prompt","url":...,
// "verification_uri":...,"user_code":...}. Empty members are left out.
struct LoginPromptEvent {
    std::string url = {};
    std::string verification_uri = {};
    std::string user_code = {};
};

inline constexpr std::string_view kLoginPromptEvent = "login_prompt";

std::string encode_login_prompt(std::uint64_t id, const LoginPromptEvent& prompt);

// An interim frame as a client reads it: any object with a string "event" and no "ok".
struct Event {
    std::optional<std::uint64_t> id;
    std::string name;
    LoginPromptEvent prompt;  // the members of a login_prompt event, when present
};

// nullopt when the body is not an event (a reply, or not JSON at all): the caller then
// reads it as a reply.
std::optional<Event> decode_event(std::string_view body);

// A request as the client library sends it.
std::string encode_request(std::uint64_t id, std::string_view op,
                           const boost::json::object& params);

// A decoded reply: either the result object (and the `cached` flag get_token sets), or
// the error the daemon sent.
struct Reply {
    std::optional<std::uint64_t> id;
    bool cached = false;
    boost::json::object result;
};

// Fails with the daemon's error, or kMalformedFrame when the reply itself is not valid.
Result<Reply> decode_reply(std::string_view body);

}  // namespace vegha::proto
