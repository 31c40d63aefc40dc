#include "oauth/form.hpp"

#include <gtest/gtest.h>

#include <string>

#include "support/printers.hpp"

namespace vegha::oauth {
namespace {

TEST(FormEncode, KeepsUnreservedCharacters) {
    const std::string unreserved =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

    EXPECT_EQ(form_encode(unreserved), unreserved);
}

TEST(FormEncode, SendsASpaceAsPlus) {
    EXPECT_EQ(form_encode("read write"), "read+write");
}

TEST(FormEncode, PercentEncodesTheFormDelimitersAndReservedCharacters) {
    EXPECT_EQ(form_encode("&"), "%26");
    EXPECT_EQ(form_encode("="), "%3D");
    EXPECT_EQ(form_encode("+"), "%2B");
    EXPECT_EQ(form_encode("%"), "%25");
    EXPECT_EQ(form_encode("#"), "%23");
    EXPECT_EQ(form_encode("/"), "%2F");
    EXPECT_EQ(form_encode(":@?!*'()"), "%3A%40%3F%21%2A%27%28%29");
}

TEST(FormEncode, PercentEncodesEachUtf8ByteInUppercaseHex) {
    EXPECT_EQ(form_encode("\xC3\xA9"), "%C3%A9");         // é
    EXPECT_EQ(form_encode("\xE2\x82\xAC"), "%E2%82%AC");  // €
}

TEST(FormEncode, PercentEncodesControlCharacters) {
    EXPECT_EQ(form_encode(std::string_view("a\nb\0c", 5)), "a%0Ab%00c");
}

TEST(FormEncode, EncodesTheEmptyStringAsEmpty) {
    EXPECT_EQ(form_encode(""), "");
}

TEST(FormBody, JoinsEncodedPairsWithAmpersands) {
    FormBody form;
    form.add("grant_type", "client_credentials");
    form.add("scope", "read write");
    form.add("resource", "https://api.example/v1?x=1&y=2");

    const Secret body = form.finish();

    EXPECT_EQ(body.reveal(),
              "grant_type=client_credentials&scope=read+write&"
              "resource=https%3A%2F%2Fapi.example%2Fv1%3Fx%3D1%26y%3D2");
}

TEST(FormBody, FinishesEmptyWhenNothingWasAdded) {
    FormBody form;

    EXPECT_TRUE(form.finish().empty());
}

TEST(FormBody, StartsAfreshAfterFinish) {
    FormBody form;
    form.add("a", "1");
    (void)form.finish();
    form.add("b", "2");

    EXPECT_EQ(form.finish().reveal(), "b=2");
}

TEST(BasicAuthorization, FormEncodesIdAndSecretBeforeBase64) {
    // RFC 6749 §2.3.1. The expected value is base64 of "cli+app:p%40ss%2Bw%2Frd%3A%3D1",
    // computed outside this code (coreutils base64).
    const Secret header = basic_authorization("cli app", Secret(std::string_view("p@ss+w/rd:=1")));

    EXPECT_EQ(header.reveal(), "Basic Y2xpK2FwcDpwJTQwc3MlMkJ3JTJGcmQlM0ElM0Qx");
}

TEST(BasicAuthorization, EncodesPlainCredentialsAsTheyAre) {
    // base64("client:secret") = "Y2xpZW50OnNlY3JldA==", with padding kept.
    const Secret header = basic_authorization("client", Secret(std::string_view("secret")));

    EXPECT_EQ(header.reveal(), "Basic Y2xpZW50OnNlY3JldA==");
}

TEST(BasicAuthorization, PercentEncodesAColonInTheClientId) {
    // base64("a%3Ab:c") = "YSUzQWI6Yw==": a colon in the id must not split it.
    const Secret header = basic_authorization("a:b", Secret(std::string_view("c")));

    EXPECT_EQ(header.reveal(), "Basic YSUzQWI6Yw==");
}

TEST(ParseForm, DecodesPlusAsSpaceAndPercent2BAsPlus) {
    auto fields = parse_form("a=x+y&b=1%2B2&c=%C3%A9");

    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->size(), 3u);
    EXPECT_EQ((*fields)[0], (std::pair<std::string, std::string>{"a", "x y"}));
    EXPECT_EQ((*fields)[1], (std::pair<std::string, std::string>{"b", "1+2"}));
    EXPECT_EQ((*fields)[2], (std::pair<std::string, std::string>{"c", "\xC3\xA9"}));
}

TEST(ParseForm, RoundTripsWhatFormBodyWrote) {
    const std::string awkward = "a b+c&d=e%f#g/h \xC3\xA9~";
    FormBody form;
    form.add("key one", awkward);
    form.add("k&=", "");
    const Secret body = form.finish();

    auto fields = parse_form(body.reveal());

    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->size(), 2u);
    EXPECT_EQ((*fields)[0].first, "key one");
    EXPECT_EQ((*fields)[0].second, awkward);
    EXPECT_EQ((*fields)[1].first, "k&=");
    EXPECT_EQ((*fields)[1].second, "");
}

TEST(ParseForm, KeepsTheOrderAndRepeatsOfFields) {
    auto fields = parse_form("b=1&a=2&b=3");

    ASSERT_TRUE(fields);
    ASSERT_EQ(fields->size(), 3u);
    EXPECT_EQ((*fields)[0].first, "b");
    EXPECT_EQ((*fields)[2].second, "3");
}

TEST(ParseForm, RejectsABrokenPercentEscape) {
    auto fields = parse_form("a=%G1");

    ASSERT_FALSE(fields);
    EXPECT_EQ(fields.error().code, Errc::kInvalidTokenResponse);
}

}  // namespace
}  // namespace vegha::oauth
