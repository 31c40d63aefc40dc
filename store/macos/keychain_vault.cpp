#include "store/macos/keychain_vault.hpp"

#include <CoreFoundation/CoreFoundation.h>
#include <Security/Security.h>

namespace vegha::store::macos {
namespace {

constexpr const char* kService = "vegha-broker";
constexpr const char* kAccount = "data-key";

// Owns one Core Foundation reference.
template <class T>
class Cf {
public:
    explicit Cf(T ref = nullptr) : ref_(ref) {}
    Cf(Cf&& other) noexcept : ref_(other.ref_) { other.ref_ = nullptr; }
    Cf(const Cf&) = delete;
    Cf& operator=(const Cf&) = delete;
    Cf& operator=(Cf&&) = delete;
    ~Cf() {
        if (ref_) {
            CFRelease(ref_);
        }
    }
    T get() const { return ref_; }
    T* out() { return &ref_; }

private:
    T ref_;
};

Cf<CFStringRef> cf_string(const char* text) {
    return Cf<CFStringRef>(CFStringCreateWithCString(nullptr, text, kCFStringEncodingUTF8));
}

std::string status_text(OSStatus status) {
    Cf<CFStringRef> message(SecCopyErrorMessageString(status, nullptr));
    char buffer[256] = {};
    if (message.get() == nullptr ||
        !CFStringGetCString(message.get(), buffer, sizeof buffer, kCFStringEncodingUTF8)) {
        return "OSStatus " + std::to_string(status);
    }
    return std::string(buffer) + " (OSStatus " + std::to_string(status) + ")";
}

Error keychain_error(std::string_view step, OSStatus status) {
    const bool is_locked = status == errSecInteractionNotAllowed || status == errSecAuthFailed ||
                           status == errSecUserCanceled;
    return make_error(is_locked ? Errc::kKeystoreLocked : Errc::kKeystoreUnavailable,
                      std::string(step) + ": " + status_text(status));
}

// The attributes that name the item, plus the UI policy.
Cf<CFMutableDictionaryRef> item_query(bool interactive) {
    Cf<CFMutableDictionaryRef> query(CFDictionaryCreateMutable(
        nullptr, 0, &kCFTypeDictionaryKeyCallBacks, &kCFTypeDictionaryValueCallBacks));
    auto service = cf_string(kService);
    auto account = cf_string(kAccount);
    CFDictionarySetValue(query.get(), kSecClass, kSecClassGenericPassword);
    CFDictionarySetValue(query.get(), kSecAttrService, service.get());
    CFDictionarySetValue(query.get(), kSecAttrAccount, account.get());
    if (!interactive) {
        // Deprecated in macOS 11 in favour of an LAContext with interactionNotAllowed, which
        // needs Objective-C; this key still works and keeps the backend plain C++.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
        CFDictionarySetValue(query.get(), kSecUseAuthenticationUI, kSecUseAuthenticationUIFail);
#pragma clang diagnostic pop
    }
    return query;
}

Cf<CFDataRef> cf_data(const Secret& key) {
    const auto bytes = key.reveal();
    return Cf<CFDataRef>(CFDataCreate(nullptr, reinterpret_cast<const UInt8*>(bytes.data()),
                                      static_cast<CFIndex>(bytes.size())));
}

}  // namespace

Result<std::unique_ptr<KeyVault>> KeychainVault::open(bool interactive) {
    // Nothing to connect to: the first SecItem call (load_key, made at once by the sealed
    // file store) is the probe, and reports a missing or locked keychain by its OSStatus.
    return std::unique_ptr<KeyVault>(new KeychainVault(interactive));
}

Result<std::optional<Secret>> KeychainVault::load_key() {
    auto query = item_query(interactive_);
    CFDictionarySetValue(query.get(), kSecReturnData, kCFBooleanTrue);
    CFDictionarySetValue(query.get(), kSecMatchLimit, kSecMatchLimitOne);

    Cf<CFTypeRef> result;
    const OSStatus status = SecItemCopyMatching(query.get(), result.out());
    if (status == errSecItemNotFound) {
        return std::optional<Secret>();
    }
    if (status != errSecSuccess) {
        return keychain_error("reading the data key", status);
    }
    if (result.get() == nullptr || CFGetTypeID(result.get()) != CFDataGetTypeID()) {
        return make_error(Errc::kKeystoreUnavailable, "the keychain returned no data for the key");
    }
    auto data = static_cast<CFDataRef>(result.get());
    const auto* bytes = reinterpret_cast<const char*>(CFDataGetBytePtr(data));
    return std::optional<Secret>(
        Secret(std::string(bytes, static_cast<std::size_t>(CFDataGetLength(data)))));
}

Result<void> KeychainVault::store_key(const Secret& key) {
    auto data = cf_data(key);
    auto query = item_query(interactive_);

    Cf<CFMutableDictionaryRef> changes(CFDictionaryCreateMutable(
        nullptr, 0, &kCFTypeDictionaryKeyCallBacks, &kCFTypeDictionaryValueCallBacks));
    CFDictionarySetValue(changes.get(), kSecValueData, data.get());
    OSStatus status = SecItemUpdate(query.get(), changes.get());

    if (status == errSecItemNotFound) {
        auto label = cf_string("vegha-broker data key");
        CFDictionarySetValue(query.get(), kSecValueData, data.get());
        CFDictionarySetValue(query.get(), kSecAttrLabel, label.get());
        // Readable only while the user is logged in, and never migrated to another device.
        CFDictionarySetValue(query.get(), kSecAttrAccessible,
                             kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly);
        status = SecItemAdd(query.get(), nullptr);
    }
    if (status != errSecSuccess) {
        return keychain_error("storing the data key", status);
    }

    auto back = load_key();
    if (!back) {
        return back.error();
    }
    if (!*back || !(**back == key)) {
        return make_error(Errc::kStoreFailed,
                          "the data key read back from the keychain differs from the one stored");
    }
    return {};
}

}  // namespace vegha::store::macos
