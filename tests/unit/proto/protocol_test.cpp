#include "proto/protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

#include "support/printers.hpp"

namespace vegha::proto {
namespace {
namespace json = boost::json;

json::object parse_object(std::string_view text) {
    return json::parse(text).as_object();
}

// ---- framing ----

TEST(EncodeHeader, WritesTheLengthBigEndian) {
    const auto header = encode_header(0x01020304);

    EXPECT_EQ(header[0], 0x01);
    EXPECT_EQ(header[1], 0x02);
    EXPECT_EQ(header[2], 0x03);
    EXPECT_EQ(header[3], 0x04);
}

TEST(DecodeHeader, ReadsTheLengthBigEndian) {
    const unsigned char header[] = {0x00, 0x00, 0x01, 0x00};

    EXPECT_EQ(decode_header(header), 256u);
}

TEST(DecodeHeader, RoundTripsEncodeHeaderAcrossTheRange) {
    for (const std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{65536},
          kMaxFrameSize, std::size_t{0xFFFFFFFF}}) {
        const auto header = encode_header(size);

        EXPECT_EQ(decode_header(header.data()), size);
    }
}

TEST(DecodeHeader, ReadsTheHighByteWithoutSignExtension) {
    const unsigned char header[] = {0xFF, 0x00, 0x00, 0x80};

    EXPECT_EQ(decode_header(header), 0xFF000080u);
}

TEST(KMaxFrameSize, IsOneMebibyteAsTheSpecificationSays) {
    EXPECT_EQ(kMaxFrameSize, 1048576u);
    EXPECT_EQ(kHeaderSize, 4u);
}

TEST(Frame, PrefixesTheBodyWithItsLength) {
    const std::string body = R"({"v":1})";

    const std::string framed = frame(body);

    ASSERT_EQ(framed.size(), kHeaderSize + body.size());
    EXPECT_EQ(decode_header(reinterpret_cast<const unsigned char*>(framed.data())), body.size());
    EXPECT_EQ(framed.substr(kHeaderSize), body);
}

TEST(Frame, FramesAnEmptyBodyAsAZeroHeader) {
    EXPECT_EQ(frame(""), std::string(4, '\0'));
}

// ---- decode_request ----

TEST(DecodeRequest, ReadsEveryMemberOfAWellFormedRequest) {
    auto request =
        decode_request(R"({"v":1,"id":7,"op":"get_token","params":{"profile":"work-api"}})");

    ASSERT_TRUE(request) << request.error().message;
    EXPECT_EQ(request->version, 1);
    EXPECT_EQ(request->id, 7u);
    EXPECT_EQ(request->op, "get_token");
    EXPECT_EQ(request->params.at("profile").as_string(), "work-api");
}

TEST(DecodeRequest, RejectsInvalidJsonAsAMalformedFrame) {
    auto request = decode_request(R"({"v":1,"id":7,)");

    ASSERT_FALSE(request);
    EXPECT_EQ(request.error().code, Errc::kMalformedFrame);
}

TEST(DecodeRequest, RejectsJsonThatIsNotAnObjectAsAMalformedFrame) {
    for (const char* body : {"[1,2,3]", "\"get_token\"", "42", "null", ""}) {
        auto request = decode_request(body);

        ASSERT_FALSE(request) << body;
        EXPECT_EQ(request.error().code, Errc::kMalformedFrame) << body;
    }
}

TEST(DecodeRequest, RejectsParamsThatAreNotAnObjectKeepingTheId) {
    for (const char* body : {R"({"v":1,"id":7,"op":"list","params":[]})",
                             R"({"v":1,"id":7,"op":"list","params":"profile"})",
                             R"({"v":1,"id":7,"op":"list","params":3})"}) {
        auto request = decode_request(body);
        ASSERT_TRUE(request) << body;
        EXPECT_EQ(request->id, 7u);

        auto operation = check_envelope(*request);
        ASSERT_FALSE(operation) << body;
        EXPECT_EQ(operation.error().code, Errc::kInvalidRequest) << body;
    }
}

TEST(DecodeRequest, AcceptsMissingOrNullParamsAsEmpty) {
    auto missing = decode_request(R"({"v":1,"id":1,"op":"list"})");
    auto null = decode_request(R"({"v":1,"id":1,"op":"list","params":null})");

    ASSERT_TRUE(missing);
    ASSERT_TRUE(null);
    EXPECT_TRUE(missing->params.empty());
    EXPECT_TRUE(null->params.empty());
}

TEST(DecodeRequest, KeepsTheIdWhenTheOperationIsUnknown) {
    auto request = decode_request(R"({"v":1,"id":42,"op":"launch_rockets"})");

    ASSERT_TRUE(request);
    EXPECT_EQ(request->id, 42u);
    EXPECT_EQ(request->op, "launch_rockets");
}

TEST(DecodeRequest, KeepsTheIdWhenTheOperationIsNotAString) {
    auto request = decode_request(R"({"v":1,"id":42,"op":17})");

    ASSERT_TRUE(request);
    EXPECT_EQ(request->id, 42u);
    EXPECT_TRUE(request->op.empty());
}

TEST(DecodeRequest, KeepsTheIdWhenTheVersionIsWrong) {
    auto request = decode_request(R"({"v":"one","id":9,"op":"list"})");

    ASSERT_TRUE(request);
    EXPECT_EQ(request->id, 9u);
    EXPECT_FALSE(request->version);
}

TEST(DecodeRequest, DropsAnIdThatIsNegativeOrNotAnInteger) {
    for (const char* body : {R"({"v":1,"id":-1,"op":"list"})", R"({"v":1,"id":"7","op":"list"})",
                             R"({"v":1,"id":1.5,"op":"list"})"}) {
        auto request = decode_request(body);

        ASSERT_TRUE(request) << body;
        EXPECT_FALSE(request->id) << body;
    }
}

TEST(DecodeRequest, KeepsAnIdAboveTheSignedRange) {
    auto request = decode_request(R"({"v":1,"id":18446744073709551615,"op":"list"})");

    ASSERT_TRUE(request);
    EXPECT_EQ(request->id, std::uint64_t{18446744073709551615u});
}

TEST(DecodeRequest, IgnoresUnknownMembers) {
    auto request = decode_request(R"({"v":1,"id":3,"op":"status","trace":"abc","x":[1]})");

    ASSERT_TRUE(request);
    EXPECT_EQ(request->op, "status");
}

// ---- check_envelope ----

Request envelope(std::optional<std::int64_t> version, std::optional<std::uint64_t> id,
                 std::string op) {
    Request request;
    request.version = version;
    request.id = id;
    request.op = std::move(op);
    return request;
}

TEST(CheckEnvelope, RefusesARequestWithoutAVersion) {
    auto op = check_envelope(envelope(std::nullopt, 1, "list"));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kUnsupportedVersion);
}

TEST(CheckEnvelope, RefusesVersionTwoAndNamesIt) {
    auto op = check_envelope(envelope(2, 1, "list"));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kUnsupportedVersion);
    EXPECT_NE(op.error().message.find('2'), std::string::npos) << op.error().message;
}

TEST(CheckEnvelope, RefusesARequestWithoutAnIdAsInvalid) {
    auto op = check_envelope(envelope(1, std::nullopt, "list"));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kInvalidRequest);
}

TEST(CheckEnvelope, RefusesAnUnknownOperationAndNamesIt) {
    auto op = check_envelope(envelope(1, 1, "launch_rockets"));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kUnknownOperation);
    EXPECT_NE(op.error().message.find("launch_rockets"), std::string::npos);
}

TEST(CheckEnvelope, AnswersTheReservedRevokeAsUnknown) {
    auto op = check_envelope(envelope(1, 1, "revoke"));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kUnknownOperation);
}

TEST(CheckEnvelope, RefusesAMissingOperationAsInvalid) {
    auto op = check_envelope(envelope(1, 1, ""));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kInvalidRequest);
}

TEST(CheckEnvelope, NamesEachKnownOperation) {
    EXPECT_EQ(check_envelope(envelope(1, 1, "get_token")).value(), Operation::kGetToken);
    EXPECT_EQ(check_envelope(envelope(1, 1, "list")).value(), Operation::kList);
    EXPECT_EQ(check_envelope(envelope(1, 1, "status")).value(), Operation::kStatus);
    EXPECT_EQ(check_envelope(envelope(1, 1, "login")).value(), Operation::kLogin);
    EXPECT_EQ(check_envelope(envelope(1, 1, "logout")).value(), Operation::kLogout);
}

TEST(CheckEnvelope, MatchesOperationNamesCaseSensitively) {
    auto op = check_envelope(envelope(1, 1, "GET_TOKEN"));

    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::kUnknownOperation);
}

TEST(CheckEnvelope, AcceptsAnIdOfZero) {
    EXPECT_TRUE(check_envelope(envelope(1, 0, "status")));
}

// ---- encoders ----

TEST(EncodeError, CarriesCodeAndMessage) {
    const auto reply =
        parse_object(encode_error(5, make_error(Errc::kUnknownProfile, "no profile \"x\"")));

    EXPECT_EQ(reply.at("v").as_int64(), 1);
    EXPECT_EQ(reply.at("id").as_int64(), 5);
    EXPECT_FALSE(reply.at("ok").as_bool());
    const auto& error = reply.at("error").as_object();
    EXPECT_EQ(error.at("code").as_string(), "unknown_profile");
    EXPECT_EQ(error.at("message").as_string(), "no profile \"x\"");
    EXPECT_FALSE(error.contains("error"));
    EXPECT_FALSE(error.contains("error_description"));
    EXPECT_FALSE(error.contains("http_status"));
}

TEST(EncodeError, CarriesTheProvidersFieldsAndHttpStatus) {
    Error e = make_error(Errc::kIdpError, "the provider refused");
    e.idp_error = "invalid_client";
    e.idp_error_description = "Client authentication failed";
    e.http_status = 401;

    const auto error = parse_object(encode_error(7, e)).at("error").as_object();

    EXPECT_EQ(error.at("code").as_string(), "idp_error");
    EXPECT_EQ(error.at("error").as_string(), "invalid_client");
    EXPECT_EQ(error.at("error_description").as_string(), "Client authentication failed");
    EXPECT_EQ(error.at("http_status").to_number<std::int64_t>(), 401);
}

TEST(EncodeError, WritesANullIdWhenTheRequestCouldNotBeRead) {
    const auto reply =
        parse_object(encode_error(std::nullopt, make_error(Errc::kMalformedFrame, "")));

    EXPECT_TRUE(reply.at("id").is_null());
}

TEST(EncodeError, EscapesAMessageThatContainsQuotesAndControlCharacters) {
    const auto reply =
        parse_object(encode_error(1, make_error(Errc::kInternal, "a \"quoted\"\nline\\")));

    EXPECT_EQ(reply.at("error").at("message").as_string(), "a \"quoted\"\nline\\");
}

TEST(EncodeResult, SplicesTheResultTextAsIs) {
    const std::string text = R"({"access_token":"abc","expires_at":1700000000})";

    const std::string reply = encode_result(3, text);

    EXPECT_NE(reply.find(text), std::string::npos) << reply;
    const auto object = parse_object(reply);
    EXPECT_EQ(object.at("id").as_int64(), 3);
    EXPECT_TRUE(object.at("ok").as_bool());
    EXPECT_EQ(object.at("result").at("access_token").as_string(), "abc");
    EXPECT_FALSE(object.contains("cached"));
}

TEST(EncodeResult, WritesCachedWhenGiven) {
    const auto hit = parse_object(encode_result(1, "{}", true));
    const auto miss = parse_object(encode_result(1, "{}", false));

    EXPECT_TRUE(hit.at("cached").as_bool());
    EXPECT_FALSE(miss.at("cached").as_bool());
}

TEST(EncodeResult, SerialisesAnObjectResult) {
    const json::object result{{"profiles", json::array{"a", "b"}}};

    const auto reply = parse_object(encode_result(11, result));

    EXPECT_EQ(reply.at("result").at("profiles").as_array().size(), 2u);
}

TEST(EncodeRequest, WritesTheEnvelopeThatDecodeRequestReads) {
    const json::object params{{"profile", "work-api"}, {"min_ttl", 60}};

    auto request = decode_request(encode_request(12, "get_token", params));

    ASSERT_TRUE(request);
    EXPECT_EQ(request->version, kVersion);
    EXPECT_EQ(request->id, 12u);
    EXPECT_EQ(request->op, "get_token");
    EXPECT_EQ(request->params, params);
    EXPECT_EQ(check_envelope(*request).value(), Operation::kGetToken);
}

// ---- decode_reply ----

TEST(DecodeReply, ReadsASuccessWithItsIdAndCachedFlag) {
    auto reply = decode_reply(encode_result(8, R"({"access_token":"abc"})", true));

    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->id, 8u);
    EXPECT_TRUE(reply->cached);
    EXPECT_EQ(reply->result.at("access_token").as_string(), "abc");
}

TEST(DecodeReply, TakesAMissingCachedFlagAsFalse) {
    auto reply = decode_reply(encode_result(8, "{}"));

    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->cached);
}

TEST(DecodeReply, TurnsAnErrorReplyIntoTheDaemonsError) {
    Error sent = make_error(Errc::kIdpError, "the provider refused");
    sent.idp_error = "invalid_grant";
    sent.idp_error_description = "bad password";
    sent.http_status = 400;

    auto reply = decode_reply(encode_error(4, sent));

    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::kIdpError);
    EXPECT_EQ(reply.error().message, "the provider refused");
    EXPECT_EQ(reply.error().idp_error, "invalid_grant");
    EXPECT_EQ(reply.error().idp_error_description, "bad password");
    EXPECT_EQ(reply.error().http_status, 400u);
}

TEST(DecodeReply, TurnsAnUnknownErrorCodeIntoInternal) {
    auto reply = decode_reply(
        R"({"v":1,"id":1,"ok":false,"error":{"code":"quota_exceeded","message":"later"}})");

    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::kInternal);
    EXPECT_EQ(reply.error().message, "later");
}

TEST(DecodeReply, RejectsAReplyWithoutOk) {
    auto reply = decode_reply(R"({"v":1,"id":1,"result":{}})");

    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::kMalformedFrame);
}

TEST(DecodeReply, RejectsAnOkThatIsNotABoolean) {
    auto reply = decode_reply(R"({"v":1,"id":1,"ok":"true","result":{}})");

    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::kMalformedFrame);
}

TEST(DecodeReply, RejectsASuccessWithoutAResultObject) {
    auto reply = decode_reply(R"({"v":1,"id":1,"ok":true,"result":"token"})");

    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::kMalformedFrame);
}

TEST(DecodeReply, RejectsAFailureWithoutAnErrorObject) {
    auto reply = decode_reply(R"({"v":1,"id":1,"ok":false})");

    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::kMalformedFrame);
}

TEST(DecodeReply, RejectsGarbage) {
    for (const char* body : {"", "not json", "[]", "{\"ok\":tru", "\x01\x02\x03"}) {
        auto reply = decode_reply(body);

        ASSERT_FALSE(reply) << body;
        EXPECT_EQ(reply.error().code, Errc::kMalformedFrame) << body;
    }
}

// ---- interim events ----

TEST(LoginPromptEvent, CarriesTheRequestIdAndOnlyTheMembersThatAreKnown) {
    const std::string body = encode_login_prompt(7, {.url = "https://idp.example/auth?x=1"});

    EXPECT_EQ(body,
              R"({"v":1,"id":7,"event":"login_prompt","url":"https://idp.example/auth?x=1"})");
}

TEST(LoginPromptEvent, DecodesBackToWhatWasEncoded) {
    const LoginPromptEvent prompt{"https://idp.example/device?user_code=WDJB-MJHT",
                                  "https://idp.example/device", "WDJB-MJHT"};

    auto event = decode_event(encode_login_prompt(42, prompt));

    ASSERT_TRUE(event);
    EXPECT_EQ(event->id, 42u);
    EXPECT_EQ(event->name, "login_prompt");
    EXPECT_EQ(event->prompt.url, prompt.url);
    EXPECT_EQ(event->prompt.verification_uri, prompt.verification_uri);
    EXPECT_EQ(event->prompt.user_code, prompt.user_code);
}

TEST(DecodeEvent, TakesAnyFrameWithAnEventAndNoOkAsAnEvent) {
    auto event = decode_event(R"({"v":1,"id":3,"event":"something_newer"})");

    ASSERT_TRUE(event);
    EXPECT_EQ(event->name, "something_newer");
}

TEST(DecodeEvent, LeavesRepliesAndGarbageToDecodeReply) {
    for (const char* body : {R"({"v":1,"id":1,"ok":true,"result":{"scope":"\"event\""}})",
                             R"({"v":1,"id":1,"ok":true,"event":"x","result":{}})",
                             R"({"event":3})", "not json \"event\"", ""}) {
        EXPECT_FALSE(decode_event(body)) << body;
    }
}

}  // namespace
}  // namespace vegha::proto
