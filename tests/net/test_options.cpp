// NetworkOptions derived from the configuration.
#include <catch2/catch.hpp>

#include "envctl/net/options.hpp"

using namespace envctl;

TEST_CASE("network options follow the configuration") {
    config::Environment environment;
    environment.home = "/home/me";
    auto config = config::defaults(environment);
    auto options = net::network_options(config, environment, "envctl/1.2.3");
    CHECK(options.user_agent == "envctl/1.2.3");
    CHECK(options.max_parallel == 8);
    CHECK(options.max_retries == 3);
    CHECK(options.connect_timeout_secs == 9.15);
    CHECK(options.read_timeout_secs == 60);
    CHECK(options.netrc_file == "/home/me/.netrc");
    CHECK(options.verify_tls);
    CHECK(options.ca_bundle.empty());
    CHECK_FALSE(options.offline);

    config.download_threads = 32;
    config.offline = true;
    config.proxy_servers = {{"https", "http://proxy:3128"}};
    environment.variables = {{"SSL_CERT_FILE", "/etc/ssl/mine.pem"}, {"CURL_CA_BUNDLE", "/etc/ssl/curl.pem"},
                             {"SSL_CERT_DIR", "/etc/ssl/certs"}};
    options = net::network_options(config, environment, "envctl");
    CHECK(options.max_parallel == 32);
    CHECK(options.offline);
    CHECK(options.proxy_servers.at("https") == "http://proxy:3128");
    CHECK(options.ca_bundle == "/etc/ssl/curl.pem");
    CHECK(options.ca_directory == "/etc/ssl/certs");

    config.ssl_verify = config::SslVerify{true, "/opt/corp-ca.pem"};
    CHECK(net::network_options(config, environment, "envctl").ca_bundle == "/opt/corp-ca.pem");
    config.ssl_verify = config::SslVerify{false, {}};
    options = net::network_options(config, environment, "envctl");
    CHECK_FALSE(options.verify_tls);
    CHECK(options.ca_bundle.empty());
}
