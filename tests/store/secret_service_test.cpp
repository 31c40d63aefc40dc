// Runs against a real Secret Service provider on a private session bus, started by
// scripts/testbed/keyring-session.sh, which says in VEGHA_TESTBED_KEYRING what it set up:
// "unlocked", "locked" (the default collection locked) or "none" (no provider at all).
// Each suite skips itself under any other setup, so running the binary bare is harmless.

#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>

#include <cstdlib>
#include <map>

#include "store/secret_service/secret_service_vault.hpp"
#include "store/secret_service/transfer_session.hpp"
#include "store/token_store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace vegha::store::secret_service {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string testbed() {
    const char* mode = std::getenv("VEGHA_TESTBED_KEYRING");
    return mode ? mode : "";
}

#define REQUIRE_TESTBED(mode)                                                        \
    if (testbed() != (mode)) {                                                       \
        GTEST_SKIP() << "needs scripts/testbed/keyring-session.sh in mode " << mode; \
    }

// The test's own view of the bus, apart from the store's connection.
class Bus {
public:
    Bus() : connection_(sdbus::createSessionBusConnection()) {}

    std::size_t data_key_items() {
        std::vector<sdbus::ObjectPath> unlocked;
        std::vector<sdbus::ObjectPath> locked;
        service()
            ->callMethod("SearchItems")
            .onInterface("org.freedesktop.Secret.Service")
            .withTimeout(5s)
            .withArguments(std::map<std::string, std::string>{
                {"application", std::string(kAttributeApplication)},
                {"kind", std::string(kAttributeKind)}})
            .storeResultsTo(unlocked, locked);
        return unlocked.size() + locked.size();
    }

    void lock(const std::string& collection) {
        std::vector<sdbus::ObjectPath> locked;
        sdbus::ObjectPath prompt;
        service()
            ->callMethod("Lock")
            .onInterface("org.freedesktop.Secret.Service")
            .withTimeout(5s)
            .withArguments(std::vector<sdbus::ObjectPath>{collection})
            .storeResultsTo(locked, prompt);
        ASSERT_EQ(prompt, "/");
    }

    sdbus::IConnection& connection() { return *connection_; }

private:
    std::unique_ptr<sdbus::IProxy> service() {
        return sdbus::createProxy(*connection_, "org.freedesktop.secrets",
                                  "/org/freedesktop/secrets");
    }

    std::unique_ptr<sdbus::IConnection> connection_;
};

class SecretServiceTest : public ::testing::Test {
protected:
    StoreOptions options(bool interactive = false) const {
        StoreOptions o;
        o.backend = Backend::kSecretService;
        o.sealed_file = dir_.path() / "grants.sealed";
        o.interactive = interactive;
        o.call_timeout = 3s;
        o.prompt_timeout = 3s;
        return o;
    }

    test::TempDir dir_;
};

using SecretServiceUnlocked = SecretServiceTest;

TEST_F(SecretServiceUnlocked, NegotiatesTheEncryptedTransferSession) {
    REQUIRE_TESTBED("unlocked");

    auto vault = SecretServiceVault::connect({});

    ASSERT_TRUE(vault) << vault.error().message;
    EXPECT_EQ((*vault)->session_algorithm(), kDhAlgorithm);
    EXPECT_NE((*vault)->provider().find("gnome-keyring"), std::string::npos);
    EXPECT_EQ((*vault)->collection(), "/org/freedesktop/secrets/collection/login");
}

TEST_F(SecretServiceUnlocked, AKeyStoredOverTheEncryptedSessionReadsBackExactly) {
    REQUIRE_TESTBED("unlocked");
    auto vault = SecretServiceVault::connect({});
    ASSERT_TRUE(vault) << vault.error().message;
    // Many keys, so a shared value with leading zero bytes (1 in 256) is likely exercised.
    for (int i = 0; i < 64; ++i) {
        auto fresh = SecretServiceVault::connect({});
        ASSERT_TRUE(fresh) << fresh.error().message;
        const Secret key(std::string(64, "0123456789abcdef"[i % 16]));
        ASSERT_TRUE((*fresh)->store_key(key)) << i;
        auto back = (*vault)->load_key();
        ASSERT_TRUE(back && *back) << i;
        EXPECT_TRUE(**back == key) << i;
    }
    EXPECT_EQ(Bus().data_key_items(), 1u) << "replace=true updates the one item in place";
}

TEST_F(SecretServiceUnlocked, StoresAndLoadsAGrantAcrossARestart) {
    REQUIRE_TESTBED("unlocked");
    const auto record = test::sample_record("a", 1);
    {
        auto store = open_store(options());
        ASSERT_TRUE(store) << store.error().message;
        EXPECT_NE((*store)->description().find(kDhAlgorithm), std::string::npos);
        ASSERT_TRUE((*store)->save(record));
    }

    auto restarted = open_store(options());
    ASSERT_TRUE(restarted) << restarted.error().message;
    auto loaded = (*restarted)->load(record.id);

    ASSERT_TRUE(loaded && *loaded);
    test::expect_same(**loaded, record);
    EXPECT_EQ(Bus().data_key_items(), 1u) << "the data key is created once and reused";
}

TEST_F(SecretServiceUnlocked, ATwentyKilobyteGrantRoundTrips) {
    REQUIRE_TESTBED("unlocked");
    const auto big = test::sample_record("big", 2, 20 * 1024);
    {
        auto store = open_store(options());
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE((*store)->save(big));
    }

    auto store = open_store(options());
    ASSERT_TRUE(store) << store.error().message;
    auto loaded = (*store)->load(big.id);

    ASSERT_TRUE(loaded && *loaded);
    test::expect_same(**loaded, big);
}

// Runs in its own keyring session: it locks the collection for good.
using SecretServiceLockAfterUse = SecretServiceTest;

TEST_F(SecretServiceLockAfterUse, ALockedItemIsKeystoreLockedNeverAMissingKey) {
    REQUIRE_TESTBED("unlocked");
    const auto record = test::sample_record("a", 1);
    auto vault = SecretServiceVault::connect({});
    ASSERT_TRUE(vault) << vault.error().message;
    {
        auto store = open_store(options());
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE((*store)->save(record));
    }
    const auto sealed = test::file_bytes(options().sealed_file);
    Bus bus;
    bus.lock((*vault)->collection());

    auto key = (*vault)->load_key();
    auto store = open_store(options());
    const auto started = Clock::now();
    auto prompted = open_store(options(true));
    const auto waited = Clock::now() - started;

    ASSERT_FALSE(key);
    EXPECT_EQ(key.error().code, Errc::kKeystoreLocked);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreLocked) << store.error().message;
    ASSERT_FALSE(prompted);
    EXPECT_EQ(prompted.error().code, Errc::kKeystoreLocked) << prompted.error().message;
    EXPECT_LT(waited, 6s) << "the prompt deadline bounds the wait";
    EXPECT_EQ(bus.data_key_items(), 1u) << "no second key was created";
    EXPECT_EQ(test::file_bytes(options().sealed_file), sealed) << "the grants were not touched";
}

using SecretServiceLocked = SecretServiceTest;

TEST_F(SecretServiceLocked, NonInteractiveGivesKeystoreLockedWithoutPrompting) {
    REQUIRE_TESTBED("locked");

    auto store = open_store(options(false));

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreLocked);
    EXPECT_NE(store.error().message.find("non-interactively"), std::string::npos)
        << store.error().message;
    EXPECT_EQ(Bus().data_key_items(), 0u);
    EXPECT_FALSE(std::filesystem::exists(options().sealed_file));
}

TEST_F(SecretServiceLocked, AnUnansweredPromptGivesKeystoreLockedWithinItsDeadline) {
    REQUIRE_TESTBED("locked");
    auto o = options(true);
    o.prompt_timeout = 2s;

    const auto started = Clock::now();
    auto store = open_store(o);
    const auto waited = Clock::now() - started;

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreLocked);
    EXPECT_NE(store.error().message.find("prompt"), std::string::npos) << store.error().message;
    EXPECT_LT(waited, 5s);
    EXPECT_EQ(Bus().data_key_items(), 0u);
}

using SecretServiceAbsent = SecretServiceTest;

TEST_F(SecretServiceAbsent, NoProviderOnTheBusIsUnavailableSayingSo) {
    REQUIRE_TESTBED("none");

    auto store = open_store(options());

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreUnavailable);
    EXPECT_NE(store.error().message.find("no Secret Service provider"), std::string::npos)
        << store.error().message;
    EXPECT_NE(store.error().message.find("org.freedesktop.secrets"), std::string::npos);
}

TEST_F(SecretServiceAbsent, AProviderThatNeverAnswersIsUnavailableWithinTheCallTimeout) {
    REQUIRE_TESTBED("none");
    // Owns the provider's name and never reads its messages.
    auto silent = sdbus::createSessionBusConnection("org.freedesktop.secrets");
    auto o = options();
    o.call_timeout = 500ms;

    const auto started = Clock::now();
    auto store = open_store(o);
    const auto waited = Clock::now() - started;

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreUnavailable);
    EXPECT_NE(store.error().message.find("did not answer within 500 ms"), std::string::npos)
        << store.error().message;
    EXPECT_LT(waited, 3s);
}

}  // namespace
}  // namespace vegha::store::secret_service
