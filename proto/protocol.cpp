#include "proto/protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace vegha::proto {
namespace json = boost::json;

std::array<unsigned char, kHeaderSize> encode_header(std::size_t body_size) noexcept {
    const auto n = static_cast<std::uint32_t>(body_size);
    return {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
            static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
}

std::uint32_t decode_header(const unsigned char* header) noexcept {
    return (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
           (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
}

std::string frame(std::string_view body) {
    const auto header = encode_header(body.size());
    std::string out;
    out.reserve(kHeaderSize + body.size());
    out.append(reinterpret_cast<const char*>(header.data()), header.size());
    out.append(body);
    return out;
}

Result<Request> decode_request(std::string_view body) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
        return make_error(Errc::kMalformedFrame, "request is not a JSON object");
    }
    json::object& object = parsed.as_object();

    Request request;
    if (const auto* v = object.if_contains("v"); v && v->is_int64()) {
        request.version = v->as_int64();
    }
    if (const auto* id = object.if_contains("id")) {
        if (id->is_uint64()) {
            request.id = id->as_uint64();
        } else if (id->is_int64() && id->as_int64() >= 0) {
            request.id = static_cast<std::uint64_t>(id->as_int64());
        }
    }
    if (const auto* op = object.if_contains("op"); op && op->is_string()) {
        request.op = std::string(op->as_string());
    }
    if (auto* params = object.if_contains("params"); params && params->is_object()) {
        request.params = std::move(params->as_object());
    } else if (params && !params->is_null()) {
        request.params_malformed = true;
    }
    return request;
}

Result<Operation> check_envelope(const Request& request) {
    if (!request.version) {
        return make_error(Errc::kUnsupportedVersion, "request has no protocol version \"v\"");
    }
    if (*request.version != kVersion) {
        return make_error(Errc::kUnsupportedVersion,
                          "protocol version " + std::to_string(*request.version) +
                              " is not supported; this daemon speaks version 1");
    }
    if (!request.id) {
        return make_error(Errc::kInvalidRequest, "request has no non-negative integer \"id\"");
    }
    if (request.params_malformed) {
        return make_error(Errc::kInvalidRequest, "\"params\" must be an object");
    }
    if (request.op == "get_token") {
        return Operation::kGetToken;
    }
    if (request.op == "list") {
        return Operation::kList;
    }
    if (request.op == "status") {
        return Operation::kStatus;
    }
    if (request.op == "login") {
        return Operation::kLogin;
    }
    if (request.op == "logout") {
        return Operation::kLogout;
    }
    if (request.op.empty()) {
        return make_error(Errc::kInvalidRequest, "request has no operation \"op\"");
    }
    return make_error(Errc::kUnknownOperation, "unknown operation \"" + request.op + "\"");
}

namespace {

void append_envelope(std::string& out, std::optional<std::uint64_t> id, bool ok) {
    out += R"({"v":1,"id":)";
    out += id ? std::to_string(*id) : std::string("null");
    out += ok ? R"(,"ok":true)" : R"(,"ok":false)";
}

}  // namespace

std::string encode_result(std::optional<std::uint64_t> id, std::string_view result,
                          std::optional<bool> cached) {
    std::string out;
    out.reserve(64 + result.size());
    append_envelope(out, id, true);
    if (cached) {
        out += *cached ? R"(,"cached":true)" : R"(,"cached":false)";
    }
    out += R"(,"result":)";
    out += result;
    out += '}';
    return out;
}

std::string encode_result(std::optional<std::uint64_t> id, const json::object& result) {
    return encode_result(id, json::serialize(result));
}

std::string encode_error(std::optional<std::uint64_t> id, const Error& error) {
    json::object body{{"code", errc_name(error.code)}, {"message", error.message}};
    if (!error.idp_error.empty()) {
        body["error"] = error.idp_error;
    }
    if (!error.idp_error_description.empty()) {
        body["error_description"] = error.idp_error_description;
    }
    if (error.http_status != 0) {
        body["http_status"] = error.http_status;
    }
    std::string out;
    append_envelope(out, id, false);
    out += R"(,"error":)";
    out += json::serialize(body);
    out += '}';
    return out;
}

std::string encode_login_prompt(std::uint64_t id, const LoginPromptEvent& prompt) {
    json::object event{{"v", kVersion}, {"id", id}, {"event", kLoginPromptEvent}};
    if (!prompt.url.empty()) {
        event["url"] = prompt.url;
    }
    if (!prompt.verification_uri.empty()) {
        event["verification_uri"] = prompt.verification_uri;
    }
    if (!prompt.user_code.empty()) {
        event["user_code"] = prompt.user_code;
    }
    return json::serialize(event);
}

std::string encode_request(std::uint64_t id, std::string_view op, const json::object& params) {
    json::object request{{"v", kVersion}, {"id", id}, {"op", op}, {"params", params}};
    return json::serialize(request);
}

namespace {

std::string string_member(const json::object& object, std::string_view key) {
    const auto* value = object.if_contains(key);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

std::optional<Event> decode_event(std::string_view body) {
    // Replies are the common case and may carry large tokens: only a body that could be an
    // event is parsed here.
    if (body.find("\"event\"") == std::string_view::npos) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    const json::object* object = ec ? nullptr : parsed.if_object();
    if (!object || object->contains("ok")) {
        return std::nullopt;
    }
    const auto* name = object->if_contains("event");
    if (!name || !name->is_string()) {
        return std::nullopt;
    }
    Event event;
    event.name = std::string(name->as_string());
    if (const auto* id = object->if_contains("id"); id && id->is_uint64()) {
        event.id = id->as_uint64();
    } else if (id && id->is_int64() && id->as_int64() >= 0) {
        event.id = static_cast<std::uint64_t>(id->as_int64());
    }
    event.prompt.url = string_member(*object, "url");
    event.prompt.verification_uri = string_member(*object, "verification_uri");
    event.prompt.user_code = string_member(*object, "user_code");
    return event;
}

Result<Reply> decode_reply(std::string_view body) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
        return make_error(Errc::kMalformedFrame, "reply is not a JSON object");
    }
    json::object& object = parsed.as_object();
    const auto* ok = object.if_contains("ok");
    if (!ok || !ok->is_bool()) {
        return make_error(Errc::kMalformedFrame, "reply has no boolean \"ok\"");
    }
    if (!ok->as_bool()) {
        const auto* error = object.if_contains("error");
        if (!error || !error->is_object()) {
            return make_error(Errc::kMalformedFrame, "error reply has no \"error\" object");
        }
        const json::object& e = error->as_object();
        Error out =
            make_error(errc_from_name(string_member(e, "code")), string_member(e, "message"));
        out.idp_error = string_member(e, "error");
        out.idp_error_description = string_member(e, "error_description");
        if (const auto* status = e.if_contains("http_status"); status && status->is_int64()) {
            out.http_status = static_cast<unsigned>(status->as_int64());
        }
        return out;
    }

    Reply reply;
    if (const auto* id = object.if_contains("id"); id && id->is_int64() && id->as_int64() >= 0) {
        reply.id = static_cast<std::uint64_t>(id->as_int64());
    } else if (id && id->is_uint64()) {
        reply.id = id->as_uint64();
    }
    if (const auto* cached = object.if_contains("cached"); cached && cached->is_bool()) {
        reply.cached = cached->as_bool();
    }
    auto* result = object.if_contains("result");
    if (!result || !result->is_object()) {
        return make_error(Errc::kMalformedFrame, "reply has no \"result\" object");
    }
    reply.result = std::move(result->as_object());
    return reply;
}

}  // namespace vegha::proto
