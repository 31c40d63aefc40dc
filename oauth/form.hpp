#pragma once

// application/x-www-form-urlencoded, as token requests use it (RFC 6749 Appendix B): UTF-8
// bytes, every byte outside ALPHA / DIGIT / "-._~" percent-encoded, a space sent as "+".

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/secret.hpp"

namespace vegha::oauth {

std::string form_encode(std::string_view value);

// Builds a form body. It may hold secrets (a client secret, a password), so it is a Secret
// once complete and its working buffer is wiped.
class FormBody {
public:
    FormBody() = default;
    FormBody(const FormBody&) = delete;
    FormBody& operator=(const FormBody&) = delete;
    ~FormBody();

    void add(std::string_view name, std::string_view value);
    Secret finish();

private:
    std::string body_;
};

// The Authorization header value for client_secret_basic. RFC 6749 §2.3.1: the client id
// and secret are each form-encoded first, then joined by ":" and base64-encoded.
Secret basic_authorization(std::string_view client_id, const Secret& client_secret);

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Decodes a form-encoded body (a provider that answers a token request in that format).
Result<FormFields> parse_form(std::string_view body);

}  // namespace vegha::oauth
