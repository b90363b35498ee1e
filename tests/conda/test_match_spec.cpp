#include <catch2/catch.hpp>

#include "envctl/conda/match_spec.hpp"

using namespace envctl::conda;

namespace {

MatchSpec ms(std::string_view text) {
    auto parsed = MatchSpec::parse(text);
    INFO(text);
    if (!parsed) FAIL(parsed.error().message);
    return *parsed;
}

PackageRecord record(std::string_view name, std::string_view version, std::string_view build,
                     std::string_view channel = "https://conda.anaconda.org/conda-forge", std::string_view subdir = "linux-64") {
    PackageRecord r;
    r.name = std::string(name);
    r.version = *Version::parse(version);
    r.build = std::string(build);
    r.channel = std::string(channel);
    r.subdir = std::string(subdir);
    r.fn = r.dist_name() + ".conda";
    r.url = r.channel + "/" + r.subdir + "/" + r.fn;
    return r;
}

}  // namespace

TEST_CASE("CEP 29 examples print canonically") {
    CHECK(ms("foo 1.0 py27_0").str() == "foo==1.0=py27_0");
    CHECK(ms("foo=1.0=py27_0").str() == "foo==1.0=py27_0");
    CHECK(ms("conda-forge::foo[version=1.0.*]").str() == "conda-forge::foo=1.0");
    CHECK(ms("conda-forge/linux-64::foo>=1.0").str() == "conda-forge/linux-64::foo[version='>=1.0']");
    CHECK(ms("*/linux-64::foo>=1.0").str() == "foo[subdir=linux-64,version='>=1.0']");
}

TEST_CASE("CEP 29 fuzzy and exact equivalence blocks") {
    for (const char* text : {"pkg=1.8", "pkg =1.8", "pkg 1.8.*", "pkg 1.8.* *", "pkg=1.8.*", "pkg=1.8.*=*", "pkg =1.8.* *",
                             "pkg ==1.8.* *", "pkg[version=1.8.*]", "pkg[version=\"1.8.*\"]", "pkg =1.8 *"}) {
        INFO(text);
        const auto spec = ms(text);
        CHECK(spec.version.is_starts_with());
        CHECK(spec.version.str() == "1.8.*");
        CHECK(spec.build.is_any());
        CHECK(spec.str() == "pkg=1.8");
    }
    for (const char* text : {"pkg 1.8", "pkg 1.8 *", "pkg==1.8", "pkg=1.8=*", "pkg==1.8=*", "pkg ==1.8 *",
                             "pkg[version=1.8]", "pkg[version=\"1.8\"]"}) {
        INFO(text);
        const auto spec = ms(text);
        CHECK(spec.version.is_exact());
        CHECK(spec.str() == "pkg==1.8");
    }
}

TEST_CASE("positional version and build forms") {
    auto spec = ms("numpy 1.26.4 py312h1234_0");
    CHECK(spec.version.str() == "==1.26.4");
    CHECK(spec.build.str() == "py312h1234_0");
    spec = ms("python 3.8.* *_cpython");
    CHECK(spec.version.str() == "3.8.*");
    CHECK(spec.build.kind() == StringMatcher::Kind::Glob);
    CHECK(spec.str() == "python=3.8[build=*_cpython]");
    spec = ms("numpy>=1.21,<2");
    CHECK(spec.version.str() == ">=1.21,<2");
    CHECK(spec.build.is_any());
    spec = ms("blas * mkl");
    CHECK(spec.version.is_any());
    CHECK(spec.build.str() == "mkl");
    CHECK(spec.str() == "blas[build=mkl]");
    spec = ms("pytorch=*=cuda*");
    CHECK(spec.version.is_any());
    CHECK(spec.build.str() == "cuda*");
    spec = ms("x264 >=1!164.3095,<1!165");
    CHECK(spec.version.str() == ">=1!164.3095,<1!165");
    spec = ms("zlib 1.2.13 *_5");
    CHECK(spec.version.is_exact());
    CHECK(spec.str() == "zlib==1.2.13[build=*_5]");
    spec = ms("rust ~=1.2.3");
    CHECK(spec.str() == "rust~=1.2.3");
    spec = ms("foo !=1.2");
    CHECK(spec.str() == "foo!=1.2");
    spec = ms("python ==2.7.*.*|>=3.6");
    CHECK(spec.version.str() == "2.7.*|>=3.6");
}

TEST_CASE("whitespace is tolerated around operators") {
    CHECK(ms("scipy   >=    1.5.0,  < 2.0.0").version.str() == ">=1.5.0,<2.0.0");
    CHECK(ms("python > 3.11").version.str() == ">3.11");
    CHECK(ms("  numpy  ").str() == "numpy");
    CHECK(ms("python =3.11.0").version.str() == "3.11.0.*");
    CHECK(ms("numpy >=1.0 , < 2.0 py34_0").version.str() == ">=1.0,<2.0");
    CHECK(ms("numpy >=1.0 , < 2.0 py34_0").build.str() == "py34_0");
    CHECK(ms("numpy 1.0 =py34_0").build.str() == "py34_0");
}

TEST_CASE("channels, subdirs and namespaces") {
    auto spec = ms("conda-forge::numpy");
    CHECK(spec.channel == "conda-forge");
    CHECK(spec.subdir.is_any());
    spec = ms("conda-forge/linux-64::numpy");
    CHECK(spec.channel == "conda-forge");
    CHECK(spec.subdir.str() == "linux-64");
    spec = ms("https://conda.anaconda.org/conda-forge::numpy>=1");
    CHECK(spec.channel == "https://conda.anaconda.org/conda-forge");
    spec = ms("https://10.0.0.1:8080::flask=1.0.2");
    CHECK(spec.channel == "https://10.0.0.1:8080");
    CHECK(spec.version.str() == "1.0.2.*");
    CHECK(spec.str() == "https://10.0.0.1:8080::flask=1.0.2");
    spec = ms("conda-forge:ns:numpy");
    CHECK(spec.channel == "conda-forge");
    CHECK(spec.exact_name() == "numpy");
    spec = ms("channel/win-64::foobar[channel=conda-forge, subdir=linux-64]");
    CHECK(spec.channel == "conda-forge");
    CHECK(spec.subdir.str() == "linux-64");
    spec = ms("python ==3.9[channel=conda-forge/linux-64]");
    CHECK(spec.channel == "conda-forge");
    CHECK(spec.subdir.str() == "linux-64");
    CHECK(spec.str() == "conda-forge/linux-64::python==3.9");
    spec = ms("numpy[channel='*conda*']");
    CHECK(spec.str() == "numpy[channel=*conda*]");
    CHECK(ms("https://user:secret@host.example/t/tok123/chan::numpy").str() == "https://host.example/chan::numpy");
}

TEST_CASE("bracket attributes, quoting and overrides") {
    auto spec = ms("numpy[version='>=1.0, <2', build=\"py3*\" , build_number=\">=2\"]");
    CHECK(spec.version.str() == ">=1.0,<2");
    CHECK(spec.build.str() == "py3*");
    CHECK(spec.build_number.str() == ">=2");
    CHECK(spec.str() == "numpy[version='>=1.0,<2',build=py3*,build_number='>=2']");
    spec = ms("numpy 1.0 py_0 [version=2.0, name=scipy]");
    CHECK(spec.version.str() == "==2.0");  // brackets override positional values
    CHECK(spec.exact_name() == "numpy");   // except the name
    spec = ms("numpy[md5=0123456789ABCDEF0123456789abcdef, license=BSD*, track_features='mkl, debug']");
    CHECK(spec.md5 == "0123456789abcdef0123456789abcdef");
    CHECK(spec.license.str() == "BSD*");
    CHECK(spec.track_features == std::vector<std::string>{"mkl", "debug"});
    spec = ms("*[sha256=f453db4ffe2271ec492a2913af4e61d4a6c118201f07de757df0eff769b65d2e]");
    CHECK(spec.name.is_any());
    CHECK(spec.sha256.size() == 64);
    spec = ms("foo[fn=foo-1.0-0.conda url=https://example.com/c/linux-64/foo-1.0-0.conda]");  // space separated
    CHECK(spec.fn == "foo-1.0-0.conda");
    CHECK(spec.url == "https://example.com/c/linux-64/foo-1.0-0.conda");
    spec = ms("ray[default,data] >=2.9.0,<3.0.0");  // pip-style extras, as in conda-forge constrains
    CHECK(spec.str() == "ray[version='>=2.9.0,<3.0.0']");
    spec = ms("NumPy # a comment");
    CHECK(spec.exact_name() == "numpy");
}

TEST_CASE("artifact URLs and paths become fully specified specs") {
    const std::string url = "https://conda.anaconda.org/conda-forge/linux-64/py-rattler-0.6.1-py39h8169da8_0.conda";
    auto spec = ms(url);
    CHECK(spec.exact_name() == "py-rattler");
    CHECK(spec.version.str() == "==0.6.1");
    CHECK(spec.build.str() == "py39h8169da8_0");
    CHECK(spec.channel == "https://conda.anaconda.org/conda-forge");
    CHECK(spec.subdir.str() == "linux-64");
    CHECK(spec.fn == "py-rattler-0.6.1-py39h8169da8_0.conda");
    CHECK(spec.str() == url);
    spec = ms("/home/user/conda-bld/linux-64/foo-1.0-py27_0.tar.bz2");
    CHECK(spec.url == "file:///home/user/conda-bld/linux-64/foo-1.0-py27_0.tar.bz2");
    CHECK(spec.str() == spec.url);
    CHECK_FALSE(MatchSpec::parse("./foo-1.0-0.conda").has_value());
}

TEST_CASE("canonical printing round-trips") {
    const char* specs[] = {
        "numpy", "numpy=1.26", "numpy==1.26.4", "numpy==1.26.4=py312h_0", "numpy[version='>=1.26,<2']",
        "conda-forge::numpy", "conda-forge/linux-64::numpy==1.0=0", "numpy!=1.0", "numpy[build=py3*]",
        "numpy==1.0[build=*_cpython]", "numpy[build_number='>=3']", "numpy[md5=0123456789abcdef0123456789abcdef]",
        "numpy[license='^BSD.*$']", "numpy[track_features='a b']", "*[subdir=linux-64]", "py*", "numpy[version=1.*.3]",
        "https://example.com/chan::numpy=1", "numpy[version='>=1.0|<0.5',build=h1]", "numpy[channel=*forge]",
        "numpy[fn=numpy-1.0-0.conda]", "numpy[version='(>=1|<0.5),<2']", "numpy~=1.2.3",
        "./local/chan::pkg",
    };
    for (const char* text : specs) {
        INFO(text);
        const auto first = ms(text);
        CHECK(first.str() == text);
        const auto second = ms(first.str());
        CHECK(second == first);
        CHECK(second.str() == first.str());
    }
    for (const char* text : {"numpy >=1.0 , <2", "foo 1.0 py27_0", "python 3.8.* *_cpython", "blas * mkl",
                             "conda-forge/linux-64::foo>=1.0", "*/linux-64::foo>=1.0", "foo[version=1.0, build=x]"}) {
        INFO(text);
        const auto first = ms(text);
        const auto second = ms(first.str());
        CHECK(second == first);
        CHECK(second.str() == first.str());
    }
}

TEST_CASE("invalid match specs name the spec and what was expected") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"", "empty"},
        {"# only a comment", "only a comment"},
        {">=1.0", "missing package name"},
        {"numpy[", "missing ']'"},
        {"numpy[version]", "expected '=' after 'version'"},
        {"numpy[version=]", "empty value for 'version'"},
        {"numpy[foo=bar]", "unknown key 'foo'"},
        {"numpy[version='1.0]", "unterminated"},
        {"numpy[build=x] 1..0", "empty segment"},
        {"numpy[a=1][b=2]", "more than one bracket section"},
        {"numpy[extra1, version=1]", "mix key=value pairs and bare names"},
        {"numpy]", "']' without '['"},
        {"numpy 1.0 py 27", "unexpected '27' after the build string"},
        {"conda-forge/numpy", "channel::name"},
        {"num$py", "invalid character '$'"},
        {"::numpy", "empty channel"},
        {"numpy >=1..0", "empty segment"},
        {"numpy ===1.0", "invalid operator"},
        {"numpy=1.0=py_0=extra", "invalid version"},
        {"numpy[md5=abc]", "'md5' must be 32 hexadecimal"},
        {"numpy[build_number=x]", "invalid build number"},
        {"linux-dependency[when=\"__linux\"]", "conditional dependencies"},
        {"numpy[build='^[$']", "invalid regular expression"},
    };
    for (const auto& [text, fragment] : cases) {
        INFO(text);
        const auto parsed = MatchSpec::parse(text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().kind == envctl::ErrorKind::Input);
        CHECK_THAT(parsed.error().message, Catch::StartsWith("invalid match spec '"));
        CHECK_THAT(parsed.error().message, Catch::Contains(fragment));
    }
    const auto secret = MatchSpec::parse("https://user:secret@host/chan::numpy[foo=1]");
    REQUIRE_FALSE(secret.has_value());
    CHECK_THAT(secret.error().message, !Catch::Contains("secret"));
}

TEST_CASE("helpers for the solver") {
    CHECK(ms("numpy").exact_name() == "numpy");
    CHECK_FALSE(ms("num*").exact_name().has_value());
    CHECK_FALSE(ms("*").exact_name().has_value());
    CHECK(ms("numpy").is_name_only());
    CHECK(ms("numpy *").is_name_only());
    CHECK(ms("numpy[version=*]").is_name_only());
    CHECK_FALSE(ms("numpy 1.0").is_name_only());
    CHECK_FALSE(ms("conda-forge::numpy").is_name_only());
    CHECK_FALSE(ms("numpy[build_number=1]").is_name_only());
}

TEST_CASE("matching records") {
    const auto numpy = record("numpy", "1.26.4", "py312h1234_0");
    CHECK(ms("numpy").matches(numpy));
    CHECK(ms("NUMPY").matches(numpy));
    CHECK(ms("num*").matches(numpy));
    CHECK_FALSE(ms("scipy").matches(numpy));
    CHECK(ms("numpy >=1.26,<2").matches(numpy));
    CHECK_FALSE(ms("numpy <1.26").matches(numpy));
    CHECK(ms("numpy=1.26").matches(numpy));
    CHECK(ms("numpy 1.26.4 py312*").matches(numpy));
    CHECK_FALSE(ms("numpy 1.26.4 py311*").matches(numpy));
    CHECK(ms("conda-forge::numpy").matches(numpy));
    CHECK(ms("https://conda.anaconda.org/conda-forge/::numpy").matches(numpy));
    CHECK_FALSE(ms("bioconda::numpy").matches(numpy));
    CHECK(ms("conda-forge/linux-64::numpy").matches(numpy));
    CHECK_FALSE(ms("conda-forge/osx-64::numpy").matches(numpy));
    CHECK(ms("numpy[channel=*forge*]").matches(numpy));
    CHECK(ms("numpy[build_number=0]").matches(numpy));
    CHECK_FALSE(ms("numpy[build_number='>0']").matches(numpy));
    CHECK(ms("numpy[fn=numpy-1.26.4-py312h1234_0.conda]").matches(numpy));
    CHECK(ms("https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h1234_0.conda").matches(numpy));
    CHECK_FALSE(ms("https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h1234_1.conda").matches(numpy));

    auto with_hash = numpy;
    with_hash.md5 = "0123456789abcdef0123456789abcdef";
    with_hash.track_features = {"mkl"};
    with_hash.license = "BSD-3-Clause";
    CHECK(ms("numpy[md5=0123456789ABCDEF0123456789abcdef]").matches(with_hash));
    CHECK_FALSE(ms("numpy[md5=0123456789abcdef0123456789abcde0]").matches(with_hash));
    CHECK(ms("numpy[track_features=mkl]").matches(with_hash));
    CHECK_FALSE(ms("numpy[track_features=mkl]").matches(numpy));
    CHECK(ms("numpy[license=bsd*]").matches(with_hash));

    const auto main = record("zlib", "1.2.13", "h5eee18b_0", "https://repo.anaconda.com/pkgs/main");
    CHECK(ms("defaults::zlib").matches(main));
    CHECK(ms("pkgs/main::zlib").matches(main));
    CHECK_FALSE(ms("conda-forge::zlib").matches(main));

    ChannelContext mirror;
    mirror.channel_alias = "https://mirror.example.com/conda";
    const auto mirrored = record("numpy", "1.26.4", "py312h1234_0", "https://mirror.example.com/conda/conda-forge");
    CHECK(ms("conda-forge::numpy").matches(mirrored, mirror));
    CHECK_FALSE(ms("conda-forge::numpy").matches(mirrored));

    CHECK(MatchSpec::for_record(numpy).matches(numpy));
    CHECK(MatchSpec::for_record(numpy).str() == "https://conda.anaconda.org/conda-forge/linux-64::numpy==1.26.4=py312h1234_0");
}

TEST_CASE("inputs found by fuzzing stay rejected or print stably") {
    for (const char* text : {"numpy\x01", "https://host/c/linux-64/a b-1-0.conda", "chan\"x::numpy", "ch an::numpy",
                             "https://host/c/linux-64/zlib-1.3.1-hb9d3cd8_2.con:2.conda", "https://h/c/linux-64/t/tok::numpy",
                             "https://h/c/linux-64/a-1-b'c.conda", "x/t/y://h/linux-64::numpy"}) {
        INFO(text);
        CHECK_FALSE(MatchSpec::parse(text).has_value());
    }
    // Several token segments: printing strips them all, and the printed text is a fixpoint.
    const auto spec = ms("https://h/a/t/one/b/t/two/chan::numpy");
    CHECK(spec.str() == "https://h/a/b/chan::numpy");
    CHECK(ms(spec.str()).str() == spec.str());
    // Epoch packages appear with an encoded '!' in URLs.
    const auto epoch = ms("https://conda.anaconda.org/conda-forge/linux-64/x264-1%21164.3095-h166bdaf_2.tar.bz2");
    CHECK(epoch.version.str() == "==1!164.3095");
    CHECK(epoch.fn == "x264-1!164.3095-h166bdaf_2.tar.bz2");
    // A name that looks like a file after a channel is a name.
    CHECK(ms("chan::pkg.conda").exact_name() == "pkg.conda");
}

TEST_CASE("trailing slashes of channels do not matter") {
    CHECK(ms("conda-forge/::numpy").channel == "conda-forge");
    CHECK(ms("~/::p").str() == "~::p");
    CHECK(ms("~/::p") == ms("~::p"));
}
