#pragma once

// The one seam between the broker and wherever grants are kept between daemon runs.
//
// Every call is synchronous and bounded: D-Bus calls, unlock prompts and file I/O each carry
// their own deadline (StoreOptions), so a call returns within a known time. They may still
// block for that long, so the daemon calls a store from a dedicated worker thread, never
// from the Asio I/O thread.
//
// Thread safety: a store object is used by one thread at a time; it holds no locks. A store
// may be handed from one thread to another between calls.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/grant_record.hpp"

namespace vegha::store {

class TokenStore {
public:
    virtual ~TokenStore() = default;

    // Names the backend and how it is protected, for logs and `status` output, e.g.
    // "secret-service (gnome-keyring, dh-ietf1024-sha256-aes128-cbc-pkcs7) + sealed file".
    virtual std::string description() const = 0;

    // Inserts or replaces the record with the same id, then reads it back and compares;
    // returns an error rather than success when what is stored differs from what was given.
    virtual Result<void> save(const GrantRecord& record) = 0;

    // The record with this id, or nullopt when there is none. A keystore that cannot be read
    // (locked, gone) is an error, never an empty answer.
    virtual Result<std::optional<GrantRecord>> load(std::string_view grant_id) = 0;

    // Every stored record, in no particular order.
    virtual Result<std::vector<GrantRecord>> load_all() = 0;

    // Removes the record; removing one that is not there succeeds.
    virtual Result<void> erase(std::string_view grant_id) = 0;
};

enum class Backend {
    kAuto,               // the platform's keystore: Secret Service, Keychain or Credential Manager
    kSecretService,      // Linux and other freedesktop systems
    kKeychain,           // macOS
    kCredentialManager,  // Windows
    kMemory,             // tests and explicit opt-in: nothing outlives the process
};

struct StoreOptions {
    Backend backend = Backend::kAuto;

    // The sealed grants file. Empty: $XDG_STATE_HOME/vegha-broker/grants.sealed, falling back
    // to ~/.local/state/vegha-broker/grants.sealed (%LOCALAPPDATA%\vegha-broker on Windows).
    std::filesystem::path sealed_file;

    // Whether an unlock prompt may be shown. A daemon started without a user session (ssh,
    // CI, a system service) sets false and gets kKeystoreLocked instead of a prompt.
    bool interactive = true;

    // Bound on each keystore call (D-Bus method call, Keychain or Credential Manager call).
    std::chrono::milliseconds call_timeout{5000};
    // Bound on the user answering an unlock prompt.
    std::chrono::milliseconds prompt_timeout{60000};

    // Secret Service only: the bus to use instead of $DBUS_SESSION_BUS_ADDRESS (tests).
    std::string dbus_address;
};

// Opens the configured backend and checks, within the deadlines above, that it works: the
// keystore is reachable, answers, and yields (or creates, once) the data key. Errors:
//   kKeystoreUnavailable  no session bus (naming DBUS_SESSION_BUS_ADDRESS), no Secret Service
//                         provider on the bus, a provider that did not answer within
//                         call_timeout, no `default` collection, a backend not built here;
//   kKeystoreLocked       the collection is locked and no prompt may be shown, or the prompt
//                         was dismissed or not answered within prompt_timeout;
//   kStoreFailed          the sealed file exists but cannot be read or verified.
// There is no silent fallback from one backend to another, nor to memory.
Result<std::unique_ptr<TokenStore>> open_store(const StoreOptions& options);

// The default location of the sealed grants file (see StoreOptions::sealed_file).
std::filesystem::path default_sealed_file();

}  // namespace vegha::store
