#include "core/error.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace vegha {
namespace {

constexpr std::array<std::pair<Errc, std::string_view>, 21> kNames{{
    {Errc::kInvalidRequest, "invalid_request"},
    {Errc::kMissingField, "missing_field"},
    {Errc::kUnknownProfile, "unknown_profile"},
    {Errc::kUnsupportedGrant, "unsupported_grant"},
    {Errc::kInsecureUrl, "insecure_url"},
    {Errc::kIdpError, "idp_error"},
    {Errc::kInvalidTokenResponse, "invalid_token_response"},
    {Errc::kNetwork, "network_error"},
    {Errc::kTimeout, "timeout"},
    {Errc::kTls, "tls_error"},
    {Errc::kLoginRequired, "login_required"},
    {Errc::kUnsupportedVersion, "unsupported_version"},
    {Errc::kUnknownOperation, "unknown_operation"},
    {Errc::kMalformedFrame, "malformed_frame"},
    {Errc::kFrameTooLarge, "frame_too_large"},
    {Errc::kPermissionDenied, "permission_denied"},
    {Errc::kDaemonUnavailable, "daemon_unavailable"},
    {Errc::kKeystoreLocked, "keystore_locked"},
    {Errc::kKeystoreUnavailable, "keystore_unavailable"},
    {Errc::kStoreFailed, "store_failed"},
    {Errc::kInternal, "internal_error"},
}};

class BrokerCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "vegha"; }

    std::string message(int ev) const override {
        return std::string(errc_name(static_cast<Errc>(ev)));
    }
};

}  // namespace

const boost::system::error_category& broker_category() noexcept {
    static const BrokerCategory category;
    return category;
}

std::string_view errc_name(Errc e) noexcept {
    for (const auto& [code, name] : kNames) {
        if (code == e) {
            return name;
        }
    }
    return "internal_error";
}

Errc errc_from_name(std::string_view name) noexcept {
    for (const auto& [code, known] : kNames) {
        if (known == name) {
            return code;
        }
    }
    return Errc::kInternal;
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
    throw std::runtime_error(std::string(errc_name(e.code)) + ": " + e.message);
}

}  // namespace vegha
