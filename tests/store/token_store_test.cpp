#include "store/token_store.hpp"

#include <gtest/gtest.h>

#include "scoped_env.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace vegha::store {
namespace {

TEST(OpenStore, TheMemoryBackendNeedsNoKeystore) {
    StoreOptions options;
    options.backend = Backend::kMemory;

    auto store = open_store(options);

    ASSERT_TRUE(store);
    const auto record = test::sample_record("a", 1);
    ASSERT_TRUE((*store)->save(record));
    auto loaded = (*store)->load(record.id);
    ASSERT_TRUE(loaded && *loaded);
    test::expect_same(**loaded, record);
    EXPECT_NE((*store)->description().find("memory"), std::string::npos);
}

TEST(OpenStore, AnotherPlatformsKeystoreIsUnavailableByName) {
    StoreOptions options;
    options.backend = Backend::kKeychain;

    auto store = open_store(options);

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreUnavailable);
    EXPECT_NE(store.error().message.find("keychain"), std::string::npos);
}

TEST(OpenStore, NoSessionBusIsUnavailableNamingTheVariable) {
    test::TempDir dir;
    test::ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
    test::ScopedEnv runtime("XDG_RUNTIME_DIR", dir.path().string());
    StoreOptions options;
    options.sealed_file = dir.path() / "grants.sealed";

    auto store = open_store(options);

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreUnavailable);
    EXPECT_NE(store.error().message.find("DBUS_SESSION_BUS_ADDRESS"), std::string::npos)
        << store.error().message;
    EXPECT_FALSE(std::filesystem::exists(options.sealed_file));
}

TEST(OpenStore, ABusThatIsNotThereIsUnavailableNamingTheAddress) {
    test::TempDir dir;
    StoreOptions options;
    options.dbus_address = "unix:path=" + (dir.path() / "no-bus").string();
    options.call_timeout = std::chrono::milliseconds(1000);

    auto store = open_store(options);

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreUnavailable);
    EXPECT_NE(store.error().message.find("no-bus"), std::string::npos) << store.error().message;
}

TEST(DefaultSealedFile, FollowsXdgStateHome) {
    test::ScopedEnv state("XDG_STATE_HOME", "/somewhere/state");
    EXPECT_EQ(default_sealed_file(), "/somewhere/state/vegha-broker/grants.sealed");
}

TEST(DefaultSealedFile, FallsBackToHomeWhenXdgStateHomeIsUnsetOrRelative) {
    test::ScopedEnv home("HOME", "/home/u");
    {
        test::ScopedEnv state("XDG_STATE_HOME", std::nullopt);
        EXPECT_EQ(default_sealed_file(), "/home/u/.local/state/vegha-broker/grants.sealed");
    }
    test::ScopedEnv state("XDG_STATE_HOME", "relative/state");
    EXPECT_EQ(default_sealed_file(), "/home/u/.local/state/vegha-broker/grants.sealed");
}

}  // namespace
}  // namespace vegha::store
