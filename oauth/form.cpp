#include "oauth/form.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace vegha::oauth {

std::string form_encode(std::string_view value) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    return boost::urls::encode(value, boost::urls::unreserved_chars, opts);
}

FormBody::~FormBody() {
    OPENSSL_cleanse(body_.data(), body_.size());
}

void FormBody::add(std::string_view name, std::string_view value) {
    if (!body_.empty()) {
        body_ += '&';
    }
    body_ += form_encode(name);
    body_ += '=';
    std::string encoded = form_encode(value);
    body_ += encoded;
    OPENSSL_cleanse(encoded.data(), encoded.size());
}

Secret FormBody::finish() {
    Secret out(body_);
    OPENSSL_cleanse(body_.data(), body_.size());
    body_.clear();
    return out;
}

Secret basic_authorization(std::string_view client_id, const Secret& client_secret) {
    std::string credentials = form_encode(client_id);
    credentials += ':';
    std::string secret = form_encode(client_secret.reveal());
    credentials += secret;
    OPENSSL_cleanse(secret.data(), secret.size());

    std::string encoded(4 * ((credentials.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(credentials.data()),
                                  static_cast<int>(credentials.size()));
    OPENSSL_cleanse(credentials.data(), credentials.size());
    encoded.resize(static_cast<std::size_t>(n));

    Secret header("Basic " + encoded);
    OPENSSL_cleanse(encoded.data(), encoded.size());
    return header;
}

Result<FormFields> parse_form(std::string_view body) {
    auto params = boost::urls::parse_query(body);
    if (!params) {
        return make_error(Errc::kInvalidTokenResponse, "form-encoded body is malformed");
    }
    FormFields fields;
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    // Validated above, so this constructor does not throw.
    const boost::urls::params_view decoded(body, opts);
    for (const auto& param : decoded) {
        fields.emplace_back(param.key, param.value);
    }
    return fields;
}

}  // namespace vegha::oauth
