#include "store/sealed_file_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "store/memory_store.hpp"
#include "store_test_support.hpp"
#include "temp_dir.hpp"

namespace vegha::store {
namespace {

class SealedFileStoreTest : public ::testing::Test {
protected:
    std::unique_ptr<SealedFileStore> open_store() {
        auto store = SealedFileStore::open(std::make_unique<MemoryKeyVault>(slot_), file_);
        EXPECT_TRUE(store) << store.error().message;
        return store ? std::move(*store) : nullptr;
    }

    std::vector<std::string> folder_entries() const {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(file_.parent_path())) {
            names.push_back(entry.path().filename().string());
        }
        return names;
    }

    test::TempDir dir_;
    std::filesystem::path file_ = dir_.path() / "state" / "vegha-broker" / "grants.sealed";
    std::shared_ptr<MemoryKeyVault::Slot> slot_ = std::make_shared<MemoryKeyVault::Slot>();
};

TEST_F(SealedFileStoreTest, SavesLoadsAndErases) {
    auto store = open_store();
    const auto a = test::sample_record("a", 1);
    const auto b = test::sample_record("b", 2);

    ASSERT_TRUE(store->save(a));
    ASSERT_TRUE(store->save(b));

    auto loaded = store->load(a.id);
    ASSERT_TRUE(loaded && *loaded);
    test::expect_same(**loaded, a);
    auto all = store->load_all();
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 2u);

    ASSERT_TRUE(store->erase(a.id));
    auto gone = store->load(a.id);
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
    EXPECT_TRUE(store->erase(a.id)) << "erasing what is not there succeeds";
}

TEST_F(SealedFileStoreTest, ASecondStoreWithTheSameKeySeesTheGrantsAsAfterARestart) {
    const auto a = test::sample_record("a", 1);
    ASSERT_TRUE(open_store()->save(a));

    auto restarted = open_store();
    auto loaded = restarted->load(a.id);

    ASSERT_TRUE(loaded && *loaded);
    test::expect_same(**loaded, a);
    EXPECT_EQ(slot_->writes, 1) << "the data key is created once, then only read";
}

TEST_F(SealedFileStoreTest, SavingTheSameIdReplacesTheRecord) {
    auto store = open_store();
    auto record = test::sample_record("a", 1);
    ASSERT_TRUE(store->save(record));
    record.access_token = Secret(std::string("refreshed-access-token"));

    ASSERT_TRUE(store->save(record));

    auto all = store->load_all();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().access_token.reveal(), "refreshed-access-token");
}

TEST_F(SealedFileStoreTest, ATwentyKilobyteGrantRoundTrips) {
    auto store = open_store();
    const auto big = test::sample_record("big", 7, 20 * 1024);

    ASSERT_TRUE(store->save(big));

    auto loaded = open_store()->load(big.id);
    ASSERT_TRUE(loaded && *loaded);
    test::expect_same(**loaded, big);
}

TEST_F(SealedFileStoreTest, TheFileHoldsNoTokenInPlaintext) {
    auto store = open_store();
    const auto record = test::sample_record("a", 1);
    ASSERT_TRUE(store->save(record));

    const auto bytes = test::file_bytes(file_);

    ASSERT_FALSE(bytes.empty());
    for (const auto* token : {&record.access_token, &record.refresh_token, &record.id_token}) {
        EXPECT_EQ(bytes.find(token->reveal().substr(0, 12)), std::string::npos);
    }
    EXPECT_EQ(bytes.find(record.client_id), std::string::npos);
    EXPECT_EQ(bytes.find("Bearer"), std::string::npos);
}

TEST_F(SealedFileStoreTest, TheFileAndItsFolderAreOwnerOnly) {
    ASSERT_TRUE(open_store()->save(test::sample_record("a", 1)));

    struct stat file_stat {};
    struct stat dir_stat {};
    ASSERT_EQ(::stat(file_.c_str(), &file_stat), 0);
    ASSERT_EQ(::stat(file_.parent_path().c_str(), &dir_stat), 0);
    EXPECT_EQ(file_stat.st_mode & 0777, 0600u);
    EXPECT_EQ(dir_stat.st_mode & 0777, 0700u);
}

TEST_F(SealedFileStoreTest, ATamperedFileIsAnErrorAndIsLeftAsItWas) {
    auto store = open_store();
    ASSERT_TRUE(store->save(test::sample_record("a", 1)));
    auto bytes = test::file_bytes(file_);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
    test::write_bytes(file_, bytes);

    auto all = store->load_all();
    auto saved = store->save(test::sample_record("b", 2));

    ASSERT_FALSE(all);
    EXPECT_EQ(all.error().code, Errc::kStoreFailed);
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().code, Errc::kStoreFailed);
    EXPECT_EQ(test::file_bytes(file_), bytes) << "a failed save must not replace the file";
}

TEST_F(SealedFileStoreTest, WritesLeaveNoTemporaryFileBehind) {
    auto store = open_store();
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(store->save(test::sample_record("p", i)));
    }

    EXPECT_EQ(folder_entries(), std::vector<std::string>{"grants.sealed"});
}

TEST_F(SealedFileStoreTest, ALockedVaultIsAnErrorAndNoKeyIsCreated) {
    slot_->fail_with = make_error(Errc::kKeystoreLocked, "locked for the test");

    auto store = SealedFileStore::open(std::make_unique<MemoryKeyVault>(slot_), file_);

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kKeystoreLocked);
    EXPECT_EQ(slot_->writes, 0);
}

TEST_F(SealedFileStoreTest, AFileSealedUnderALostKeyIsSetAsideNotDeleted) {
    ASSERT_TRUE(open_store()->save(test::sample_record("a", 1)));
    const auto old_bytes = test::file_bytes(file_);
    slot_->key.reset();

    auto store = open_store();
    auto all = store->load_all();

    ASSERT_TRUE(all);
    EXPECT_TRUE(all->empty());
    auto entries = folder_entries();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries.front().rfind("grants.sealed.orphaned-", 0), 0u);
    EXPECT_EQ(test::file_bytes(file_.parent_path() / entries.front()), old_bytes);
}

TEST_F(SealedFileStoreTest, AKeystoreItemThatIsNotADataKeyIsAnError) {
    slot_->key = Secret(std::string("hunter2"));

    auto store = SealedFileStore::open(std::make_unique<MemoryKeyVault>(slot_), file_);

    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, Errc::kStoreFailed);
}

}  // namespace
}  // namespace vegha::store
