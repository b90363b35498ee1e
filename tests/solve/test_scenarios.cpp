// Solver scenarios built in C++: preference order, constrains, channel priority, virtual
// packages, pins, exclude-newer, installed prefixes, locks and explanations.
#include "solve_helpers.hpp"

using namespace solve_test;
using envctl::solve::ChannelPriority;
using envctl::solve::DepsMode;
using envctl::solve::Problem;

TEST_CASE("the newest version wins", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0"), Rec("a", "2.0"), Rec("a", "1.10")};
    auto req = request(channel);
    req.specs = specs({"a"});
    const auto solution = solve_ok(req);
    CHECK(dists(solution.records) == std::vector<std::string>{"a-2.0-0"});
    req.specs = specs({"a <2"});
    CHECK(version_of(solve_ok(req), "a") == "1.10");
}

TEST_CASE("build number, then timestamp, break ties between builds of one version", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0", "h1_0", 0).timestamp(3000),
                                                Rec("a", "1.0", "h2_1", 1).timestamp(1000),
                                                Rec("a", "1.0", "h3_1", 1).timestamp(2000)};
    auto req = request(channel);
    req.specs = specs({"a"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"a-1.0-h3_1"});
}

TEST_CASE("arch-specific builds win over noarch builds of the same version and build number", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0", "pyh_0").subdir("noarch").timestamp(9000),
                                                Rec("a", "1.0", "h_0").timestamp(1000)};
    auto req = request(channel);
    req.specs = specs({"a"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"a-1.0-h_0"});
}

TEST_CASE("track_features de-prioritise a build, even at a higher version", "[solve]") {
    const std::vector<PackageRecord> channel = {
        Rec("blas", "2.0", "mkl_0").track_features({"blas_mkl"}),
        Rec("blas", "1.0", "openblas_0"),
        Rec("app", "1.0").depends({"blas"}),
    };
    auto req = request(channel);
    req.specs = specs({"app"});
    CHECK(find(solve_ok(req).records, "blas")->build == "openblas_0");
    req.specs = specs({"blas"});
    CHECK(find(solve_ok(req).records, "blas")->build == "openblas_0");
    // Asking for the featured build explicitly still works.
    req.specs = specs({"app", "blas=*=mkl*"});
    CHECK(find(solve_ok(req).records, "blas")->build == "mkl_0");
}

TEST_CASE("among equal builds, the one whose dependencies allow newer packages wins", "[solve]") {
    // conda's test_timestamps_and_deps: a newer timestamp must not force an older libpng.
    const std::vector<PackageRecord> channel = {
        Rec("libpng", "1.2.50"), Rec("libpng", "1.5.13"),
        Rec("mypackage", "1.0", "hash12_0").depends({"libpng 1.2.*"}).timestamp(1),
        Rec("mypackage", "1.0", "hash15_0").depends({"libpng 1.5.*"}).timestamp(0),
    };
    auto req = request(channel);
    req.specs = specs({"mypackage"});
    CHECK(find(solve_ok(req).records, "mypackage")->build == "hash15_0");
    req.specs = specs({"libpng 1.2.*", "mypackage"});
    CHECK(find(solve_ok(req).records, "mypackage")->build == "hash12_0");
    req.specs = specs({"libpng 1.5.*", "mypackage"});
    CHECK(find(solve_ok(req).records, "mypackage")->build == "hash15_0");
}

TEST_CASE("constrains restrict packages that are installed and never add them", "[solve]") {
    const std::vector<PackageRecord> channel = {
        Rec("a", "1.0").constrains({"b <2"}),
        Rec("b", "1.5"), Rec("b", "2.1"),
        Rec("c", "1.0").depends({"b"}),
    };
    auto req = request(channel);
    req.specs = specs({"a"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"a-1.0-0"});
    req.specs = specs({"a", "c"});
    CHECK(version_of(solve_ok(req), "b") == "1.5");

    req.specs = specs({"a", "b >=2"});
    const auto failed = solve_unsat(req);
    const auto& problems = failed.explanation.problems;
    REQUIRE(!problems.empty());
    CHECK(std::any_of(problems.begin(), problems.end(), [](const Problem& p) {
        return p.kind == Problem::Kind::Constraint && p.message.find("constrains b <2") != std::string::npos;
    }));
}

TEST_CASE("channel priority: strict, flexible and disabled", "[solve]") {
    // conda's test_unsat_channel_priority: channel-1 (higher) lacks c 2.x.
    const std::vector<PackageRecord> one = {
        Rec("a", "1.0").depends({"c"}).channel(kChannel1), Rec("b", "1.0").depends({"c >=2,<3"}).channel(kChannel1),
        Rec("c", "1.0").channel(kChannel1)};
    const std::vector<PackageRecord> two = {
        Rec("a", "2.0").depends({"c"}).channel(kChannel2), Rec("b", "2.0").depends({"c >=2,<3"}).channel(kChannel2),
        Rec("c", "1.0").channel(kChannel2), Rec("c", "2.0").channel(kChannel2)};
    auto req = request(one, two);
    req.specs = specs({"a", "b"});

    req.channel_priority = ChannelPriority::Flexible;
    auto solution = solve_ok(req);
    CHECK(version_of(solution, "a") == "1.0");
    CHECK(version_of(solution, "b") == "1.0");
    CHECK(find(solution.records, "a")->channel == kChannel1);

    req.channel_priority = ChannelPriority::Disabled;
    solution = solve_ok(req);
    CHECK(version_of(solution, "a") == "2.0");
    CHECK(version_of(solution, "b") == "2.0");

    req.channel_priority = ChannelPriority::Strict;
    const auto failed = solve_unsat(req);
    const auto text = failed.explanation.text();
    CHECK(text.find("c >=2,<3") != std::string::npos);
    CHECK(text.find("lower-priority channel") != std::string::npos);

    // Naming the channel lifts strict priority for that package.
    req.specs = specs({"a", "b", "channel-2::c"});
    req.channel_context.channel_alias = "https://conda.example";
    solution = solve_ok(req);
    CHECK(find(solution.records, "c")->channel == kChannel2);
    CHECK(version_of(solution, "c") == "2.0");
}

TEST_CASE("a channel::name spec takes the package from that channel", "[solve]") {
    const std::vector<PackageRecord> one = {Rec("a", "2.0").channel(kChannel1)};
    const std::vector<PackageRecord> two = {Rec("a", "1.0").channel(kChannel2)};
    auto req = request(one, two);
    req.channel_context.channel_alias = "https://conda.example";
    req.channel_priority = ChannelPriority::Flexible;
    req.specs = specs({"channel-2::a"});
    const auto solution = solve_ok(req);
    CHECK(find(solution.records, "a")->channel == kChannel2);
}

TEST_CASE("virtual packages satisfy dependencies and are never linked", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0").depends({"__glibc >=2.17", "__unix"})};
    auto req = request(channel);
    req.specs = specs({"a"});
    req.virtual_packages = {virtual_package("__glibc", "2.28"), virtual_package("__unix", "0")};
    const auto solution = solve_ok(req);
    CHECK(dists(solution.link) == std::vector<std::string>{"a-1.0-0"});
    CHECK(dists(solution.records) == std::vector<std::string>{"a-1.0-0"});

    req.virtual_packages = {virtual_package("__glibc", "2.12"), virtual_package("__unix", "0")};
    const auto failed = solve_unsat(req);
    REQUIRE(!failed.explanation.problems.empty());
    const auto& problem = failed.explanation.problems.front();
    CHECK(problem.kind == Problem::Kind::MissingVirtual);
    CHECK(problem.message == "a 1.0 requires __glibc >=2.17 but your system has __glibc 2.12");
}

TEST_CASE("__cuda chooses between CUDA and CPU builds", "[solve]") {
    const std::vector<PackageRecord> channel = {
        Rec("pytorch", "2.1.0", "cuda121_py311_300", 300).depends({"__cuda >=12", "python 3.11.*"}),
        Rec("pytorch", "2.1.0", "cpu_py311_100", 100).depends({"python 3.11.*"}),
        Rec("python", "3.11.5"),
    };
    auto req = request(channel);
    req.specs = specs({"pytorch 2.1.*"});
    req.virtual_packages = {virtual_package("__cuda", "12.2")};
    CHECK(find(solve_ok(req).records, "pytorch")->build == "cuda121_py311_300");
    req.virtual_packages = {virtual_package("__cuda", "11.8")};
    CHECK(find(solve_ok(req).records, "pytorch")->build == "cpu_py311_100");
    req.virtual_packages = {};
    CHECK(find(solve_ok(req).records, "pytorch")->build == "cpu_py311_100");

    // Only CUDA builds and no driver: a clear explanation with the hint.
    req.specs = specs({"pytorch 2.1.* cuda*"});
    const auto failed = solve_unsat(req);
    REQUIRE(!failed.explanation.problems.empty());
    const auto& problem = failed.explanation.problems.front();
    CHECK(problem.kind == Problem::Kind::MissingVirtual);
    CHECK(problem.message == "pytorch 2.1.0 requires __cuda >=12 but your system has none");
    REQUIRE(!problem.hints.empty());
    CHECK(problem.hints.front() == "set CONDA_OVERRIDE_CUDA or choose a CPU build");
    REQUIRE(!problem.chains.empty());
    CHECK(problem.chains.front().text() == "pytorch=2.1[build=cuda*] (requested) -> pytorch 2.1.0 requires __cuda >=12");
}

TEST_CASE("pins constrain without adding packages", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("numpy", "1.26.4"), Rec("numpy", "2.0.0"), Rec("b", "1.0")};
    auto req = request(channel);
    req.pins = specs({"numpy 1.*"});
    req.specs = specs({"b"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"b-1.0-0"});
    req.specs = specs({"numpy"});
    CHECK(version_of(solve_ok(req), "numpy") == "1.26.4");
    req.specs = specs({"numpy >=2"});
    const auto failed = solve_unsat(req);
    const auto text = failed.explanation.text();
    CHECK(text.find("nothing provides the requested numpy[version='>=2']") != std::string::npos);
    CHECK(text.find("the pin 'numpy=1'") != std::string::npos);
}

TEST_CASE("exclude-newer ignores records published after the cut-off", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0").timestamp(1000), Rec("a", "2.0").timestamp(5000),
                                                Rec("a", "0.9")};  // no timestamp: kept
    auto req = request(channel);
    req.specs = specs({"a"});
    req.exclude_newer = 2000;
    CHECK(version_of(solve_ok(req), "a") == "1.0");
    req.specs = specs({"a 2.0"});
    const auto text = solve_unsat(req).explanation.text();
    CHECK(text.find("newer than --exclude-newer") != std::string::npos);
}

TEST_CASE("an existing prefix changes only what the request needs", "[solve]") {
    const std::vector<PackageRecord> channel = {
        Rec("a", "1.0"), Rec("a", "2.0"), Rec("b", "1.0").depends({"a"}), Rec("b", "2.0").depends({"a"}),
        Rec("c", "1.0").depends({"a"}), Rec("d", "1.0").depends({"a >=2"})};
    auto req = request(channel);
    req.installed = {Rec("a", "1.0"), Rec("b", "1.0").depends({"a"})};

    req.specs = specs({"c"});
    auto solution = solve_ok(req);
    CHECK(dists(solution.link) == std::vector<std::string>{"c-1.0-0"});
    CHECK(solution.unlink.empty());
    CHECK(dists(solution.records) == std::vector<std::string>{"a-1.0-0", "b-1.0-0", "c-1.0-0"});

    req.specs = specs({"d"});
    solution = solve_ok(req);
    CHECK(dists(solution.link) == std::vector<std::string>{"a-2.0-0", "d-1.0-0"});
    CHECK(dists(solution.unlink) == std::vector<std::string>{"a-1.0-0"});
    CHECK(version_of(solution, "b") == "1.0");

    // A spec that asks for a change gets it.
    req.specs = specs({"b 2.0"});
    solution = solve_ok(req);
    CHECK(dists(solution.link) == std::vector<std::string>{"b-2.0-0"});
    CHECK(dists(solution.unlink) == std::vector<std::string>{"b-1.0-0"});
}

TEST_CASE("locked records are preferred so a relock changes little", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0"), Rec("a", "1.1"), Rec("a", "2.0"),
                                                Rec("b", "1.0").depends({"a"})};
    auto req = request(channel);
    req.specs = specs({"b"});
    CHECK(version_of(solve_ok(req), "a") == "2.0");
    req.locked = {Rec("a", "1.1"), Rec("b", "1.0").depends({"a"})};
    CHECK(version_of(solve_ok(req), "a") == "1.1");
    // A spec that excludes the locked version wins over the lock.
    req.specs = specs({"b", "a >=2"});
    CHECK(version_of(solve_ok(req), "a") == "2.0");
}

TEST_CASE("python depends on pip when add_pip_as_python_dependency is on", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("python", "3.11.5"), Rec("pip", "24.0").depends({"python >=3.8"}),
                                                Rec("python", "2.7.18")};
    auto req = request(channel);
    req.specs = specs({"python 3.11.*"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"python-3.11.5-0"});
    req.add_pip_as_python_dependency = true;
    const auto solution = solve_ok(req);
    CHECK(dists(solution.records) == std::vector<std::string>{"pip-24.0-0", "python-3.11.5-0"});
    // Dependencies first: python, then pip.
    CHECK(solution.link.front().name == "python");
}

TEST_CASE("legacy features pull their feature in and are avoided unless it is active", "[solve]") {
    const std::vector<PackageRecord> channel = {
        Rec("numpy", "1.7.1", "py27_0"), Rec("numpy", "1.7.1", "py27_p0").features({"mkl"}).depends({"mkl-rt"}),
        Rec("mkl-rt", "11.0", "p0").features({"mkl"})};
    auto req = request(channel);
    req.specs = specs({"numpy"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"numpy-1.7.1-py27_0"});
    req.specs = specs({"numpy", "*[track_features=mkl]"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"mkl-rt-11.0-p0", "numpy-1.7.1-py27_p0"});
}

TEST_CASE("--no-deps and --only-deps", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("a", "1.0").depends({"b"}), Rec("b", "1.0").depends({"c"}),
                                                Rec("c", "1.0")};
    auto req = request(channel);
    req.specs = specs({"a"});
    CHECK(dists(solve_ok(req).link) == std::vector<std::string>{"a-1.0-0", "b-1.0-0", "c-1.0-0"});
    CHECK(solve_ok(req).link.front().name == "c");  // dependencies first
    req.deps = DepsMode::NoDeps;
    CHECK(dists(solve_ok(req).link) == std::vector<std::string>{"a-1.0-0"});
    req.deps = DepsMode::OnlyDeps;
    CHECK(dists(solve_ok(req).link) == std::vector<std::string>{"b-1.0-0", "c-1.0-0"});
}

TEST_CASE("unsatisfiable requests name the conflicting specs", "[solve][explain]") {
    SECTION("two packages need different versions of a third") {
        const std::vector<PackageRecord> channel = {Rec("a", "1.0").depends({"c >=1,<2"}), Rec("b", "1.0").depends({"c >=2,<3"}),
                                                    Rec("c", "1.0"), Rec("c", "2.0")};
        auto req = request(channel);
        req.specs = specs({"a", "b"});
        const auto failed = solve_unsat(req);
        const auto& problems = failed.explanation.problems;
        REQUIRE(problems.size() == 1);
        CHECK(problems[0].kind == Problem::Kind::Conflict);
        CHECK(problems[0].package == "c");
        CHECK(problems[0].specs == std::vector<std::string>{"c >=1,<2", "c >=2,<3"});
        const auto text = failed.explanation.text();
        CHECK(text.find("a (requested) -> a 1.0 requires c >=1,<2") != std::string::npos);
        CHECK(text.find("b (requested) -> b 1.0 requires c >=2,<3") != std::string::npos);
    }
    SECTION("a chain of dependencies") {
        const std::vector<PackageRecord> channel = {
            Rec("a", "1.0").depends({"b"}), Rec("b", "1.0").depends({"c >=1,<2"}),
            Rec("c", "1.0").depends({"d >=1,<2"}), Rec("d", "1.0"),
            Rec("e", "1.0").depends({"c >=2,<3"}), Rec("c", "2.0").depends({"d >=2,<3"}), Rec("d", "2.0")};
        auto req = request(channel);
        req.specs = specs({"a", "e"});
        const auto text = solve_unsat(req).explanation.text();
        CHECK(text.find("a (requested) -> a 1.0 requires b -> b 1.0 requires c >=1,<2") != std::string::npos);
        CHECK(text.find("e (requested) -> e 1.0 requires c >=2,<3") != std::string::npos);
    }
    SECTION("a missing dependency") {
        const std::vector<PackageRecord> channel = {Rec("a", "1.0").depends({"b", "notarealpackage 2.0*"}), Rec("b", "1.0")};
        auto req = request(channel);
        req.specs = specs({"a"});
        const auto failed = solve_unsat(req);
        REQUIRE(!failed.explanation.problems.empty());
        CHECK(failed.explanation.problems[0].kind == Problem::Kind::MissingDependency);
        CHECK(failed.explanation.problems[0].message == "nothing provides notarealpackage 2.0* needed by a 1.0");
    }
    SECTION("a requested package that does not exist") {
        const std::vector<PackageRecord> channel = {Rec("numpy", "1.6.2"), Rec("numpy", "1.7.1")};
        auto req = request(channel);
        req.specs = specs({"numpy 1.5"});
        auto failed = solve_unsat(req);
        REQUIRE(failed.explanation.problems.size() == 1);
        CHECK(failed.explanation.problems[0].kind == Problem::Kind::NotFound);
        CHECK(failed.explanation.problems[0].message ==
              "nothing provides the requested numpy==1.5 (available: numpy 1.6.2, 1.7.1)");
        req.specs = specs({"notarealpackage"});
        failed = solve_unsat(req);
        CHECK(failed.explanation.problems[0].message ==
              "nothing provides the requested notarealpackage: no channel has a package named 'notarealpackage'");
    }
    SECTION("a requested version against a dependency's") {
        const std::vector<PackageRecord> channel = {Rec("a", "1.0").depends({"py =3.7.1"}), Rec("py", "3.7.1"),
                                                    Rec("py", "3.6.1")};
        auto req = request(channel);
        req.specs = specs({"a", "py=3.6.1"});
        const auto failed = solve_unsat(req);
        REQUIRE(!failed.explanation.problems.empty());
        const auto& problem = failed.explanation.problems[0];
        CHECK(problem.kind == Problem::Kind::Conflict);
        CHECK(problem.package == "py");
        const auto text = failed.explanation.text();
        CHECK(text.find("py=3.6.1 (requested)") != std::string::npos);
        CHECK(text.find("a (requested) -> a 1.0 requires py =3.7.1") != std::string::npos);
    }
}

TEST_CASE("circular dependencies solve", "[solve]") {
    const std::vector<PackageRecord> channel = {Rec("package1", "1.0").depends({"package2"}),
                                                Rec("package2", "1.0").depends({"package1"})};
    auto req = request(channel);
    req.specs = specs({"package1"});
    CHECK(dists(solve_ok(req).records) == std::vector<std::string>{"package1-1.0-0", "package2-1.0-0"});
}
