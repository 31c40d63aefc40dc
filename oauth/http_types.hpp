#pragma once

#include <boost/url/url.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/secret.hpp"

namespace vegha::oauth {

// One request to a provider endpoint. The body and the Authorization value are secrets:
// they carry client credentials, passwords, codes and refresh tokens.
struct HttpRequest {
    enum class Method { kGet, kPost };

    Method method = Method::kPost;
    boost::urls::url url;
    std::string content_type;
    Secret body;
    Secret authorization;
    std::chrono::seconds timeout{30};
    // A PEM bundle of CAs to trust for this request instead of the client's default.
    std::string ca_file;
};

struct HttpResponse {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

}  // namespace vegha::oauth
