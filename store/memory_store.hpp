#pragma once

// Stores that keep everything in process memory: for tests, and for a user who explicitly
// chooses to log in on every daemon start rather than keep grants on this machine.

#include <map>
#include <memory>
#include <optional>

#include "store/key_vault.hpp"
#include "store/token_store.hpp"

namespace vegha::store {

// Grants in a map; nothing touches the disk or a keystore.
class MemoryStore final : public TokenStore {
public:
    std::string description() const override { return "memory (nothing outlives the process)"; }
    Result<void> save(const GrantRecord& record) override;
    Result<std::optional<GrantRecord>> load(std::string_view grant_id) override;
    Result<std::vector<GrantRecord>> load_all() override;
    Result<void> erase(std::string_view grant_id) override;

private:
    std::map<std::string, GrantRecord, std::less<>> records_;
};

// A KeyVault over a shared slot, so tests can run the sealed file store with no keystore,
// hand the same key to a second store (a simulated restart), or make the vault fail.
class MemoryKeyVault final : public KeyVault {
public:
    struct Slot {
        std::optional<Secret> key;
        std::optional<Error> fail_with;  // when set, every call returns this error
        int writes = 0;
    };

    explicit MemoryKeyVault(std::shared_ptr<Slot> slot) : slot_(std::move(slot)) {}

    std::string description() const override { return "memory key vault"; }
    Result<std::optional<Secret>> load_key() override;
    Result<void> store_key(const Secret& key) override;

private:
    std::shared_ptr<Slot> slot_;
};

}  // namespace vegha::store
