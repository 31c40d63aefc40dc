#pragma once

// Turning the daemon's reply bodies into the library's types. The daemon is a peer: any of
// its replies may be wrong, and a wrong one becomes a malformed_frame error, never a crash.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "vegha/client.hpp"

namespace vegha::client::detail {

// A success reply's result, known to answer the request it was checked against.
struct Answer {
    boost::json::object result;
    bool cached = false;
};

// Decodes a reply to request `expected_id`. The daemon's error reply becomes its Error,
// with the code exactly as sent; a reply naming another request, or not following the
// protocol, becomes malformed_frame.
Result<Answer> decode_answer(std::string_view body, std::uint64_t expected_id);

Result<AccessToken> decode_token(const Answer& answer);
Result<std::vector<ProfileSummary>> decode_profiles(const Answer& answer);
Result<DaemonStatus> decode_status(const Answer& answer);
Result<LogoutResult> decode_logout(const Answer& answer);

}  // namespace vegha::client::detail
