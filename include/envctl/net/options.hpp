#pragma once
// NetworkOptions from the effective configuration and the environment's TLS variables.
#include <string>

#include "envctl/config/config.hpp"
#include "envctl/net/downloader.hpp"

namespace envctl::net {

// download_threads, remote_* retries and timeouts, offline, proxy_servers, netrc_file and
// ssl_verify. With ssl_verify true, the CA bundle comes from CURL_CA_BUNDLE, SSL_CERT_FILE or
// REQUESTS_CA_BUNDLE (the first one set) and SSL_CERT_DIR adds a certificate folder, as curl does.
NetworkOptions network_options(const config::Config& config, const config::Environment& environment,
                               std::string user_agent);

}  // namespace envctl::net
