#include "vegha/client.hpp"

#include <algorithm>
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

    // Sends one request and returns its answer. Interim login prompts for it are given to
    // `on_prompt` (when set) while the call keeps waiting; `interactive` lengthens the wait.
    Result<detail::Answer> call(std::string_view op, const json::object& params,
                                bool interactive = false,
                                const std::function<void(const LoginPrompt&)>& on_prompt = {});
    Result<std::string> exchange(const std::string& wire, std::uint64_t id,
                                 Clock::time_point deadline,
                                 const std::function<void(const LoginPrompt&)>& on_prompt);
    // The reply to request `id`, after any interim frames for it.
    Result<std::string> receive_reply(std::uint64_t id, Clock::time_point deadline,
                                      const std::function<void(const LoginPrompt&)>& on_prompt,
                                      bool& answered);

    ClientOptions options;
    std::string socket_path;  // resolved once, on first use
    detail::Connection connection;
    std::uint64_t next_id = 1;
};

Result<std::string> Client::Impl::receive_reply(
    std::uint64_t id, Clock::time_point deadline,
    const std::function<void(const LoginPrompt&)>& on_prompt, bool& answered) {
    for (;;) {
        auto body = connection.receive(deadline);
        if (!body) {
            return body;
        }
        auto event = proto::decode_event(*body);
        if (!event) {
            return body;
        }
        answered = true;
        if (event->id != id) {
            detail::wipe(*body);
            return detail::make_error(detail::kMalformedFrame,
                                      "the daemon sent an event for another request");
        }
        // Events newer than this library are skipped: the reply still follows.
        if (event->name == proto::kLoginPromptEvent && on_prompt) {
            on_prompt(LoginPrompt{std::move(event->prompt.url),
                                  std::move(event->prompt.verification_uri),
                                  std::move(event->prompt.user_code)});
        }
    }
}

Result<std::string> Client::Impl::exchange(
    const std::string& wire, std::uint64_t id, Clock::time_point deadline,
    const std::function<void(const LoginPrompt&)>& on_prompt) {
    // A kept connection the daemon has since closed (idle for 10 minutes, or restarted) is
    // replaced once. The retry also covers a close racing the send: it happens only when
    // nothing at all came back, so the daemon never worked on the request (logout asked
    // twice forgets nothing more; get_token only reads).
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

        bool answered = false;
        auto sent = connection.send(wire, deadline);
        auto body = sent ? receive_reply(id, deadline, on_prompt, answered)
                         : Result<std::string>(sent.error());
        if (body) {
            return body;
        }
        // After a timeout or a bad frame the stream is out of step with our requests: a
        // late reply would be read as the answer to the next one.
        connection.close();
        if (!(reused && attempt == 0 && !answered &&
              body.error().code == detail::kDaemonUnavailable)) {
            return body.error();
        }
    }
}

Result<detail::Answer> Client::Impl::call(
    std::string_view op, const json::object& params, bool interactive,
    const std::function<void(const LoginPrompt&)>& on_prompt) {
    const auto deadline =
        Clock::now() +
        (interactive ? std::max(options.timeout, options.login_timeout) : options.timeout);
    const std::uint64_t id = next_id++;

    // The request may carry an inline profile's client secret, the reply a token: both
    // frames are wiped once used.
    // TODO: the JSON trees built from them (params here, the parsed reply in proto) use
    // Boost.JSON's default allocator and are freed unwiped; a wiping memory_resource
    // passed through proto's encode and decode calls would close that gap.
    std::string wire = proto::frame(proto::encode_request(id, op, params));
    auto body = exchange(wire, id, deadline, on_prompt);
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
    // Sent only when set, so a request that needs none of them reads as it always has.
    if (request.interactive) {
        params["interactive"] = true;
    }
    if (request.force_refresh) {
        params["force_refresh"] = true;
    }
    if (!request.rejected_token.empty()) {
        params["rejected_token"] = request.rejected_token;
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
    auto answer = impl_->call("get_token", *params, request.interactive, request.on_prompt);
    if (!answer) {
        return answer.error();
    }
    return detail::decode_token(*answer);
}

Result<AccessToken> Client::login(const TokenRequest& request) {
    if (!impl_) {
        return moved_from();
    }
    auto params = token_params(request);
    if (!params) {
        return params.error();
    }
    params->erase("interactive");
    auto answer = impl_->call("login", *params, true, request.on_prompt);
    if (!answer) {
        return answer.error();
    }
    return detail::decode_token(*answer);
}

Result<LogoutResult> Client::logout(const TokenRequest& request) {
    if (!impl_) {
        return moved_from();
    }
    TokenRequest target;
    target.profile = request.profile;
    target.inline_config = request.inline_config;
    auto params = token_params(target);
    if (!params) {
        return params.error();
    }
    auto answer = impl_->call("logout", *params);
    if (!answer) {
        return answer.error();
    }
    return detail::decode_logout(*answer);
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
