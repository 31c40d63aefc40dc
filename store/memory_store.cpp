#include "store/memory_store.hpp"

namespace vegha::store {

Result<void> MemoryStore::save(const GrantRecord& record) {
    if (record.id.empty()) {
        return make_error(Errc::kInvalidRequest, "a grant record needs an id");
    }
    records_.insert_or_assign(record.id, record);
    return {};
}

Result<std::optional<GrantRecord>> MemoryStore::load(std::string_view grant_id) {
    auto found = records_.find(grant_id);
    if (found == records_.end()) {
        return std::optional<GrantRecord>();
    }
    return std::optional<GrantRecord>(found->second);
}

Result<std::vector<GrantRecord>> MemoryStore::load_all() {
    std::vector<GrantRecord> all;
    all.reserve(records_.size());
    for (const auto& [id, record] : records_) {
        all.push_back(record);
    }
    return all;
}

Result<void> MemoryStore::erase(std::string_view grant_id) {
    if (auto found = records_.find(grant_id); found != records_.end()) {
        records_.erase(found);
    }
    return {};
}

Result<std::optional<Secret>> MemoryKeyVault::load_key() {
    if (slot_->fail_with) {
        return *slot_->fail_with;
    }
    return slot_->key;
}

Result<void> MemoryKeyVault::store_key(const Secret& key) {
    if (slot_->fail_with) {
        return *slot_->fail_with;
    }
    slot_->key = key;
    ++slot_->writes;
    return {};
}

}  // namespace vegha::store
