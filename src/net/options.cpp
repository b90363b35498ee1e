#include "envctl/net/options.hpp"

#include <algorithm>

namespace envctl::net {

NetworkOptions network_options(const config::Config& config, const config::Environment& environment,
                               std::string user_agent) {
    NetworkOptions options;
    options.user_agent = std::move(user_agent);
    options.max_parallel = static_cast<std::size_t>(std::max(config.download_threads, 1));
    options.max_retries = config.remote_max_retries;
    options.backoff_factor = config.remote_backoff_factor;
    options.connect_timeout_secs = config.remote_connect_timeout_secs;
    options.read_timeout_secs = config.remote_read_timeout_secs;
    options.offline = config.offline;
    options.proxy_servers = config.proxy_servers;
    options.netrc_file = config.netrc_file;
    options.verify_tls = config.ssl_verify.enabled;
    if (!config.ssl_verify.ca_bundle.empty()) {
        options.ca_bundle = config.ssl_verify.ca_bundle;
    } else if (options.verify_tls) {
        for (const char* variable : {"CURL_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}) {
            if (auto bundle = environment.get(variable)) {
                options.ca_bundle = *bundle;
                break;
            }
        }
    }
    if (options.verify_tls) {
        if (auto directory = environment.get("SSL_CERT_DIR")) options.ca_directory = *directory;
    }
    return options;
}

}  // namespace envctl::net
