#include "store/memory_store.hpp"

#include <gtest/gtest.h>

#include "store_test_support.hpp"

namespace vegha::store {
namespace {

TEST(MemoryStore, SavesReplacesLoadsAndErases) {
    MemoryStore store;
    auto record = test::sample_record("a", 1);
    ASSERT_TRUE(store.save(record));
    record.scope = "openid";
    ASSERT_TRUE(store.save(record));

    auto all = store.load_all();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ(all->front().scope, "openid");

    ASSERT_TRUE(store.erase(record.id));
    auto gone = store.load(record.id);
    ASSERT_TRUE(gone);
    EXPECT_FALSE(*gone);
}

TEST(MemoryStore, RefusesARecordWithoutAnId) {
    MemoryStore store;
    auto saved = store.save(GrantRecord{});
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().code, Errc::kInvalidRequest);
}

}  // namespace
}  // namespace vegha::store
