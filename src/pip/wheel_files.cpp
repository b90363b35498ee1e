// Path arithmetic, digests, directories and a child process for wheel installation.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "envctl/pypi/metadata.hpp"
#include "envctl/util/fs.hpp"
#include "wheel_detail.hpp"

extern char** environ;

namespace envctl::pip::detail {

namespace fs = std::filesystem;

Error io_error(std::string_view what, const std::string& path, int error_number) {
    return Error{ErrorKind::Io, fmt::format("cannot {} {}: {}", what, path, std::strerror(error_number)), {}, {}};
}

namespace {

// Well-formed UTF-8 (no overlong forms or surrogates) without control characters: member names
// end up in JSON (the journal), CSV (RECORD) and line lists (.pyc sources).
bool is_clean_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x20 || byte == 0x7f) return false;
        if (byte < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
        if (length == 0 || byte > 0xf4 || i + length > text.size()) return false;
        std::uint32_t code = byte & (0x7f >> length);
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code = (code << 6) | (next & 0x3f);
        }
        if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
            (length == 4 && (code < 0x10000 || code > 0x10ffff)))
            return false;
        i += length;
    }
    return true;
}

}  // namespace

bool is_safe_relative_path(std::string_view path) {
    if (path.empty() || path.front() == '/') return false;
    if (path.find('\\') != std::string_view::npos || !is_clean_utf8(path)) return false;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        const auto part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == "..") return false;
        start = end + 1;
    }
    return true;
}

Status replace_file(const std::string& path, std::string_view contents, bool durable) {
    const auto temporary = temporary_sibling(path).string();
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(io_error("create", temporary, errno));
    std::size_t done = 0;
    while (done < contents.size()) {
        const auto wrote = ::write(fd, contents.data() + done, contents.size() - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote < 0) {
            const int error = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            return fail(io_error("write", temporary, error));
        }
        done += static_cast<std::size_t>(wrote);
    }
    if ((durable && ::fsync(fd) != 0) || ::close(fd) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return fail(io_error("write", temporary, error));
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return fail(io_error("rename into", path, error));
    }
    return {};
}

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

}  // namespace

std::string record_path_to_target(std::string_view site_packages, std::string_view record_path) {
    if (record_path.empty() || record_path.front() == '/' || record_path.find('\\') != std::string_view::npos ||
        record_path.find('\0') != std::string_view::npos)
        return {};
    std::vector<std::string_view> parts = split_path(site_packages);
    for (const auto part : split_path(record_path)) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (parts.empty()) return {};
            parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    if (parts.empty()) return {};
    std::string out;
    for (const auto part : parts) {
        if (!out.empty()) out.push_back('/');
        out.append(part);
    }
    return out;
}

std::string target_to_record_path(std::string_view site_packages, std::string_view target) {
    if (target.size() > site_packages.size() && target.starts_with(site_packages) && target[site_packages.size()] == '/')
        return std::string(target.substr(site_packages.size() + 1));
    const auto site = split_path(site_packages);
    const auto parts = split_path(target);
    std::size_t common = 0;
    while (common < site.size() && common + 1 < parts.size() && site[common] == parts[common]) ++common;
    std::string out;
    for (auto i = common; i < site.size(); ++i) out += "../";
    for (auto i = common; i < parts.size(); ++i) {
        out.append(parts[i]);
        if (i + 1 < parts.size()) out.push_back('/');
    }
    return out;
}

std::string pyc_target(std::string_view source_target, std::string_view python_version) {
    std::string tag(python_version);
    std::erase(tag, '.');
    const auto slash = source_target.rfind('/');
    const auto directory = slash == std::string_view::npos ? std::string_view() : source_target.substr(0, slash + 1);
    auto file = source_target.substr(slash == std::string_view::npos ? 0 : slash + 1);
    file.remove_suffix(3);  // ".py"
    return fmt::format("{}__pycache__/{}.cpython-{}.pyc", directory, file, tag);
}

namespace {

std::string digest_in_record_form(const unsigned char* bytes, unsigned int size) {
    return pypi::urlsafe_b64_encode_nopad(std::string_view(reinterpret_cast<const char*>(bytes), size));
}

}  // namespace

Result<std::string> record_digest_of_file(const std::string& path, std::string_view algorithm) {
    const std::string name(algorithm);
    const EVP_MD* md = EVP_get_digestbyname(name.c_str());
    if (md == nullptr) return fail(ErrorKind::Internal, "unknown digest " + name);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(io_error("read", path, errno));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(context.get(), md, nullptr);
    std::vector<char> buffer(1 << 16);
    for (;;) {
        const auto got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int error = errno;
            ::close(fd);
            return fail(io_error("read", path, error));
        }
        if (got == 0) break;
        EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(got));
    }
    ::close(fd);
    unsigned char bytes[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context.get(), bytes, &size);
    return digest_in_record_form(bytes, size);
}

std::string record_sha256(std::string_view data) {
    unsigned char bytes[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), bytes, &size, EVP_sha256(), nullptr);
    return digest_in_record_form(bytes, size);
}

Status DirectoryMaker::ensure_parent(std::string_view relative) {
    const auto slash = relative.rfind('/');
    if (slash == std::string_view::npos) return {};
    const auto directory = relative.substr(0, slash);
    for (auto it = known_.rbegin(); it != known_.rend(); ++it)
        if (*it == directory) return {};
    std::error_code error;
    const auto path = fs::path(root_) / std::string(directory);
    fs::create_directories(path, error);
    if (error && !fs::is_directory(path))
        return fail(ErrorKind::Io, fmt::format("cannot create {}: {}", path.string(), error.message()));
    known_.emplace_back(directory);
    return {};
}

Result<ProcessOutput> run_process(const std::vector<std::string>& argv) {
    auto output_file = temporary_sibling(fs::temp_directory_path() / "envctl-pip-process");
    const int out = ::open(output_file.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) return fail(io_error("create", output_file.string(), errno));
    ::unlink(output_file.c_str());
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, out, 2);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        ::close(out);
        return fail(io_error("run", argv[0], spawned));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ProcessOutput result;
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::lseek(out, 0, SEEK_SET);
    char buffer[4096];
    for (;;) {
        const auto got = ::read(out, buffer, sizeof buffer);
        if (got <= 0) break;
        result.output.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(out);
    return result;
}

}  // namespace envctl::pip::detail
