#include "store/token_store.hpp"

#include <cstdlib>

#include "store/memory_store.hpp"
#include "store/sealed_file_store.hpp"

#if defined(__APPLE__)
#include "store/macos/keychain_vault.hpp"
#elif defined(_WIN32)
#include "store/windows/credential_vault.hpp"
#else
#include "store/secret_service/secret_service_vault.hpp"
#endif

namespace vegha::store {
namespace {

std::string_view backend_name(Backend backend) {
    switch (backend) {
        case Backend::kAuto:
            return "auto";
        case Backend::kSecretService:
            return "secret-service";
        case Backend::kKeychain:
            return "keychain";
        case Backend::kCredentialManager:
            return "credential-manager";
        case Backend::kMemory:
            return "memory";
    }
    return "unknown";
}

Result<std::unique_ptr<KeyVault>> open_vault(const StoreOptions& options) {
#if defined(__APPLE__)
    if (options.backend == Backend::kAuto || options.backend == Backend::kKeychain) {
        return macos::KeychainVault::open(options.interactive);
    }
#elif defined(_WIN32)
    if (options.backend == Backend::kAuto || options.backend == Backend::kCredentialManager) {
        return std::unique_ptr<KeyVault>(new windows::CredentialVault());
    }
#else
    if (options.backend == Backend::kAuto || options.backend == Backend::kSecretService) {
        secret_service::VaultOptions vault_options;
        vault_options.bus_address = options.dbus_address;
        vault_options.interactive = options.interactive;
        vault_options.call_timeout = options.call_timeout;
        vault_options.prompt_timeout = options.prompt_timeout;
        auto vault = secret_service::SecretServiceVault::connect(vault_options);
        if (!vault) {
            return vault.error();
        }
        return std::unique_ptr<KeyVault>(std::move(*vault));
    }
#endif
    return make_error(Errc::kKeystoreUnavailable,
                      "the " + std::string(backend_name(options.backend)) +
                          " keystore is not available in this build for this platform");
}

}  // namespace

std::filesystem::path default_sealed_file() {
    const std::filesystem::path leaf = std::filesystem::path("vegha-broker") / "grants.sealed";
#if defined(_WIN32)
    if (const char* local = std::getenv("LOCALAPPDATA"); local && *local) {
        return std::filesystem::path(local) / leaf;
    }
    return leaf;
#else
    // XDG Base Directory: a relative $XDG_STATE_HOME is invalid and is ignored.
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
        return std::filesystem::path(state) / leaf;
    }
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home ? home : ".") / ".local" / "state" / leaf;
#endif
}

Result<std::unique_ptr<TokenStore>> open_store(const StoreOptions& options) {
    if (options.backend == Backend::kMemory) {
        return std::unique_ptr<TokenStore>(new MemoryStore());
    }
    auto vault = open_vault(options);
    if (!vault) {
        return vault.error();
    }
    auto file = options.sealed_file.empty() ? default_sealed_file() : options.sealed_file;
    auto store = SealedFileStore::open(std::move(*vault), std::move(file));
    if (!store) {
        return store.error();
    }
    return std::unique_ptr<TokenStore>(std::move(*store));
}

}  // namespace vegha::store
