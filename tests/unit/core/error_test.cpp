#include "core/error.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "support/printers.hpp"

namespace vegha {
namespace {

constexpr int kFirstCode = static_cast<int>(Errc::kInvalidRequest);
constexpr int kLastCode = static_cast<int>(Errc::kInternal);

TEST(ErrcName, RoundTripsThroughErrcFromNameForEveryCode) {
    for (int i = kFirstCode; i <= kLastCode; ++i) {
        const auto code = static_cast<Errc>(i);
        const std::string_view name = errc_name(code);

        EXPECT_EQ(errc_from_name(name), code) << "code " << i << " named " << name;
    }
}

TEST(ErrcName, GivesEveryCodeADistinctName) {
    std::set<std::string_view> names;
    for (int i = kFirstCode; i <= kLastCode; ++i) {
        names.insert(errc_name(static_cast<Errc>(i)));
    }

    EXPECT_EQ(names.size(), static_cast<std::size_t>(kLastCode - kFirstCode + 1));
}

TEST(ErrcName, UsesTheWireNamesOfTheProtocol) {
    EXPECT_EQ(errc_name(Errc::kIdpError), "idp_error");
    EXPECT_EQ(errc_name(Errc::kNetwork), "network_error");
    EXPECT_EQ(errc_name(Errc::kTls), "tls_error");
    EXPECT_EQ(errc_name(Errc::kInternal), "internal_error");
    EXPECT_EQ(errc_name(Errc::kDaemonUnavailable), "daemon_unavailable");
}

TEST(ErrcName, NamesAValueOutsideTheEnumAsInternalError) {
    EXPECT_EQ(errc_name(static_cast<Errc>(999)), "internal_error");
}

TEST(ErrcFromName, MapsAnUnknownNameToInternal) {
    EXPECT_EQ(errc_from_name("revoked_by_a_newer_daemon"), Errc::kInternal);
    EXPECT_EQ(errc_from_name(""), Errc::kInternal);
    EXPECT_EQ(errc_from_name("IDP_ERROR"), Errc::kInternal);
}

TEST(MakeErrorCode, UsesTheBrokerCategoryAndTheWireNameAsMessage) {
    const boost::system::error_code ec = Errc::kTimeout;

    EXPECT_EQ(&ec.category(), &broker_category());
    EXPECT_STREQ(ec.category().name(), "vegha");
    EXPECT_EQ(ec.message(), "timeout");
    EXPECT_EQ(ec.value(), static_cast<int>(Errc::kTimeout));
}

TEST(MakeError, SetsCodeAndMessageAndLeavesProviderFieldsEmpty) {
    const Error e = make_error(Errc::kMissingField, "no client_id");

    EXPECT_EQ(e.code, Errc::kMissingField);
    EXPECT_EQ(e.message, "no client_id");
    EXPECT_TRUE(e.idp_error.empty());
    EXPECT_TRUE(e.idp_error_description.empty());
    EXPECT_EQ(e.http_status, 0u);
}

TEST(Result, ThrowsARuntimeErrorNamingTheCodeWhenValueIsCalledOnAnError) {
    const Result<int> failed = make_error(Errc::kTimeout, "too slow");

    try {
        (void)failed.value();
        FAIL() << "value() on an error did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "timeout: too slow");
    }
}

}  // namespace
}  // namespace vegha
