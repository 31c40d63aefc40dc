#include "store/grant_record.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "store_test_support.hpp"

namespace vegha::store {
namespace {

TEST(GrantRecord, SerialisesAndParsesBackToTheSameRecord) {
    const auto record = test::sample_record("profile-a", 1);

    auto parsed = parse_grant_record(serialise(record).reveal());

    ASSERT_TRUE(parsed) << parsed.error().message;
    test::expect_same(*parsed, record);
}

TEST(GrantRecord, CarriesItsVersion) {
    auto json = boost::json::parse(serialise(test::sample_record("p", 1)).reveal());
    EXPECT_EQ(json.at("v").as_int64(), kGrantRecordVersion);
}

TEST(GrantRecord, RefusesAnUnknownVersion) {
    auto json = boost::json::parse(serialise(test::sample_record("p", 1)).reveal());
    json.as_object()["v"] = 2;

    auto parsed = parse_grant_record(boost::json::serialize(json));

    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, Errc::kStoreFailed);
    EXPECT_NE(parsed.error().message.find("unsupported version 2"), std::string::npos);
}

TEST(GrantRecord, NamesAMissingField) {
    auto json = boost::json::parse(serialise(test::sample_record("p", 1)).reveal());
    json.as_object().erase("token_endpoint");

    auto parsed = parse_grant_record(boost::json::serialize(json));

    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find("token_endpoint"), std::string::npos);
}

TEST(GrantRecord, GarbageGivesAnErrorNotACrash) {
    for (std::string_view garbage :
         {"", "{", "[]", "null", "{\"v\":1}", "{\"v\":\"1\"}", "{\"v\":1,\"id\":7}",
          "{\"v\":1,\"id\":\"x\",\"expires_at\":1.5}", "\xff\xfe\x00garbage"}) {
        auto parsed = parse_grant_record(garbage);
        EXPECT_FALSE(parsed) << garbage;
    }
}

TEST(GrantRecord, ErrorsDoNotEchoTokens) {
    auto json = boost::json::parse(serialise(test::sample_record("p", 1)).reveal());
    json.as_object()["token_type"] = 5;

    auto parsed = parse_grant_record(boost::json::serialize(json));

    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().message.find("access-"), std::string::npos);
}

TEST(GrantRecord, IdIsTheHexSha256OfTheCacheKeyBytes) {
    // SHA-256("abc"), FIPS 180-2 Appendix B.1.
    EXPECT_EQ(grant_id_for("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_NE(grant_id_for(std::string("a\0b", 3)), grant_id_for(std::string("a\0c", 3)));
}

}  // namespace
}  // namespace vegha::store
