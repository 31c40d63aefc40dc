#pragma once

// Where the one data key lives: an item in the platform's keystore. A vault holds exactly
// one item for the broker; it is created once and afterwards only read (and replaced in
// place, never deleted and re-created, should it ever need rewriting).

#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace vegha::store {

class KeyVault {
public:
    virtual ~KeyVault() = default;

    // The keystore and how the key travels, e.g. "secret-service (dh-ietf1024-...)".
    virtual std::string description() const = 0;

    // The stored item's bytes; nullopt only when the keystore positively has no such item.
    // A locked keystore is kKeystoreLocked (after any permitted prompt), never nullopt:
    // answering "no key" there would make the caller create a new one and orphan every
    // sealed grant.
    virtual Result<std::optional<Secret>> load_key() = 0;

    // Stores the item, replacing an existing one in place, then reads it back and compares.
    virtual Result<void> store_key(const Secret& key) = 0;
};

}  // namespace vegha::store
