#include "vegha/client.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <utility>

#include "client-lib/connection.hpp"
#include "client-lib/reply.hpp"
#include "proto/protocol.hpp"

namespace vegha::client {
namespace json = boost::json;
using detail::Clock;

BrokerError::BrokerError(Error error)
    : std::runtime_error(error.code + ": " + error.message), error_(std::move(error)) {}

void throw_exception_from_error(const Error& error, const boost::source_location&) {
    throw BrokerError(error);
}

std::string AccessToken::authorization_header() const {
    std::string lowered = token_type;
    for (char& c : lowered) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const std::string scheme = lowered.empty() || lowered == "bearer" ? "Bearer" : token_type;
    return scheme + " " + access_token;
}

struct Client::Impl {
    explicit Impl(ClientOptions o) : options(std::move(o)) {}

    Result<detail::Answer> call(std::string_view op, const json::object& params);
    Result<std::string> exchange(const std::string& wire, Clock::time_point deadline);

    ClientOptions options;
    std::string socket_path;  // resolved once, on first use
    detail::Connection connection;
    std::uint64_t next_id = 1;
};

Result<std::string> Client::Impl::exchange(const std::string& wire, Clock::time_point deadline) {
    // A kept connection the daemon has since closed (idle for 10 minutes, or restarted) is
    // replaced once. The retry also covers a close racing the send: every version-1
    // operation only reads, so asking twice is harmless.
    for (int attempt = 0;; ++attempt) {
        bool reused = connection.is_open();
        if (reused && connection.is_stale()) {
            connection.close();
            reused = false;
        }
        if (!connection.is_open()) {
            if (socket_path.empty()) {
                socket_path = resolve_socket_path(options.socket_path);
            }
            auto opened = detail::Connection::open(socket_path, deadline);
            if (!opened) {
                return opened.error();
            }
            connection = std::move(*opened);
        }

        auto sent = connection.send(wire, deadline);
        auto body = sent ? connection.receive(deadline) : Result<std::string>(sent.error());
        if (body) {
            return body;
        }
        // After a timeout or a bad frame the stream is out of step with our requests: a
        // late reply would be read as the answer to the next one.
        connection.close();
        if (!(reused && attempt == 0 && body.error().code == detail::kDaemonUnavailable)) {
            return body.error();
        }
    }
}

Result<detail::Answer> Client::Impl::call(std::string_view op, const json::object& params) {
    const auto deadline = Clock::now() + options.timeout;
    const std::uint64_t id = next_id++;

    // The request may carry an inline profile's client secret, the reply a token: both
    // frames are wiped once used.
    // TODO: the JSON trees built from them (params here, the parsed reply in proto) use
    // Boost.JSON's default allocator and are freed unwiped; a wiping memory_resource
    // passed through proto's encode and decode calls would close that gap.
    std::string wire = proto::frame(proto::encode_request(id, op, params));
    auto body = exchange(wire, deadline);
    detail::wipe(wire);
    if (!body) {
        return body.error();
    }

    auto answer = detail::decode_answer(*body, id);
    detail::wipe(*body);
    if (!answer) {
        // A reply for another request, or garbage, means the stream cannot be trusted.
        if (answer.error().code == detail::kMalformedFrame) {
            connection.close();
        }
        return answer.error();
    }
    return answer;
}

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::Client(Client&& other) noexcept = default;
Client& Client::operator=(Client&& other) noexcept = default;
Client::~Client() = default;

namespace {

Error moved_from() {
    return detail::make_error(detail::kInternalError, "this Client was moved from");
}

// Checked here rather than by the daemon so that a caller's mistake costs no round trip,
// and so an inline profile that is not JSON never leaves the process.
Result<json::object> token_params(const TokenRequest& request) {
    if (request.profile.empty() == request.inline_config.empty()) {
        return detail::make_error(detail::kInvalidRequest,
                                  "give exactly one of a profile name and an inline profile");
    }
    if (request.min_ttl.count() < 0) {
        return detail::make_error(detail::kInvalidRequest, "min_ttl cannot be negative");
    }

    json::object params;
    if (!request.profile.empty()) {
        params["profile"] = request.profile;
    } else {
        boost::system::error_code ec;
        json::value config = json::parse(request.inline_config, ec);
        // The text is not quoted in the message: it may hold a client secret.
        if (ec) {
            return detail::make_error(detail::kInvalidRequest,
                                      "the inline profile is not valid JSON: " + ec.message());
        }
        if (!config.is_object()) {
            return detail::make_error(detail::kInvalidRequest,
                                      "the inline profile is not a JSON object");
        }
        params["config"] = std::move(config);
    }
    if (request.min_ttl.count() > 0) {
        params["min_ttl"] = request.min_ttl.count();
    }
    return params;
}

}  // namespace

Result<AccessToken> Client::get_token(const TokenRequest& request) {
    if (!impl_) {
        return moved_from();
    }
    auto params = token_params(request);
    if (!params) {
        return params.error();
    }
    auto answer = impl_->call("get_token", *params);
    if (!answer) {
        return answer.error();
    }
    return detail::decode_token(*answer);
}

Result<std::vector<ProfileSummary>> Client::list() {
    if (!impl_) {
        return moved_from();
    }
    auto answer = impl_->call("list", {});
    if (!answer) {
        return answer.error();
    }
    return detail::decode_profiles(*answer);
}

Result<DaemonStatus> Client::status() {
    if (!impl_) {
        return moved_from();
    }
    auto answer = impl_->call("status", {});
    if (!answer) {
        return answer.error();
    }
    return detail::decode_status(*answer);
}

Result<AccessToken> get_token(std::string_view profile, ClientOptions options) {
    Client client(std::move(options));
    return client.get_token(TokenRequest{std::string(profile), {}, std::chrono::seconds(0)});
}

}  // namespace vegha::client
