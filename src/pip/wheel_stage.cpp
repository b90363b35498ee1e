// Staging a wheel: every member extracted into a private folder, checked against RECORD, with the
// installer's own files (INSTALLER, REQUESTED, direct_url.json, entry point scripts) added.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "envctl/link/prefix_replace.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/pypi/version.hpp"
#include "envctl/pypi/wheel.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/url.hpp"
#include "wheel_detail.hpp"

namespace envctl::pip::detail {

namespace fs = std::filesystem;

namespace {

// libarchive's message for the last error; it may have none (a null pointer fmt refuses).
const char* archive_message(::archive* handle) {
    const char* message = archive_error_string(handle);
    return message != nullptr ? message : "unknown archive error";
}

// A streaming digest in RECORD form.
class Digest {
public:
    explicit Digest(std::string_view algorithm) : context_(EVP_MD_CTX_new()) {
        const std::string name(algorithm);
        const EVP_MD* md = EVP_get_digestbyname(name.c_str());
        EVP_DigestInit_ex(context_.get(), md ? md : EVP_sha256(), nullptr);
    }
    void update(const void* data, std::size_t size) { EVP_DigestUpdate(context_.get(), data, size); }
    std::string record_digest() {
        unsigned char bytes[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        EVP_DigestFinal_ex(context_.get(), bytes, &size);
        return pypi::urlsafe_b64_encode_nopad(std::string_view(reinterpret_cast<const char*>(bytes), size));
    }

private:
    struct Free {
        void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> context_;
};

bool accepted_algorithm(std::string_view algorithm) {
    return algorithm == "sha256" || algorithm == "sha384" || algorithm == "sha512";
}

Error integrity(const std::string& wheel, const std::string& message) {
    return Error{ErrorKind::Integrity, fmt::format("wheel {}: {}", wheel, message), {}, {}};
}

struct ArchiveFree {
    void operator()(archive* handle) const { archive_read_free(handle); }
};

enum class MemberKind { Staged, Script, Record, Signature };

struct Member {
    std::string name;    // in the archive
    std::string target;  // prefix-relative; empty for RECORD and its signatures
    MemberKind kind = MemberKind::Staged;
    std::string archive_digest;  // sha256 of the archive bytes, RECORD form
    std::uint64_t size = 0;
    std::string staged_digest;  // of what was staged (differs for rewritten scripts)
    std::uint64_t staged_size = 0;
    std::string original;  // scripts only: the archive bytes (for non-sha256 RECORD hashes)
};

// "#!python" / "#!pythonw" (then the end of the line or blanks and arguments) becomes the
// environment's interpreter; anything else is left alone.
std::optional<std::string> rewrite_python_shebang(std::string_view data, std::string_view python) {
    if (!data.starts_with("#!python")) return std::nullopt;
    const auto newline = data.find('\n');
    auto line = data.substr(0, newline == std::string_view::npos ? data.size() : newline);
    if (line.ends_with('\r')) line.remove_suffix(1);
    auto arguments = line.substr(8);
    if (arguments.starts_with('w')) arguments.remove_prefix(1);
    if (!arguments.empty() && arguments.front() != ' ' && arguments.front() != '\t') return std::nullopt;
    std::string out = link::python_entry_point_shebang(python);
    if (!arguments.empty() && out.starts_with("#!/bin/sh") == false) {
        out.pop_back();  // the newline
        out.append(arguments);
        out.push_back('\n');
    }
    if (newline != std::string_view::npos) out.append(data.substr(newline + 1));
    return out;
}

bool valid_script_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find_first_of(std::string_view("/\\\0", 3)) ==
                                                                 std::string_view::npos;
}

Status write_staged(const fs::path& staging, DirectoryMaker& directories, const std::string& target,
                    std::string_view contents, mode_t mode) {
    if (auto made = directories.ensure_parent(target); !made) return made;
    const auto path = (staging / target).string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return fail(io_error("create", path, errno));
    std::size_t done = 0;
    while (done < contents.size()) {
        const auto wrote = ::write(fd, contents.data() + done, contents.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            ::close(fd);
            return fail(io_error("write", path, error));
        }
        done += static_cast<std::size_t>(wrote);
    }
    if (::close(fd) != 0) return fail(io_error("write", path, errno));
    return {};
}

class Stager {
public:
    Stager(const WheelToInstall& wheel, const StageContext& context, const fs::path& staging)
        : wheel_(wheel), context_(context), staging_(staging), directories_(staging.string()),
          display_(wheel.wheel.filename().string()) {}

    Result<StagedWheel> run() {
        auto filename = pypi::WheelFilename::parse(wheel_.wheel.filename().string());
        if (!filename) return fail(std::move(filename.error()).with_context("installing " + wheel_.wheel.string()));
        filename_ = std::move(*filename);
        std::error_code error;
        const auto file_size = fs::file_size(wheel_.wheel, error);
        if (error) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", wheel_.wheel.string(), error.message()));
        total_limit_ = std::max(context_.limits.min_total_bytes, context_.limits.max_ratio * file_size);
        if (auto checked = check_file_hash(); !checked) return fail(std::move(checked.error()));
        if (auto read = read_archive(); !read) return fail(std::move(read.error()));
        if (auto checked = check_layout(); !checked) return fail(std::move(checked.error()));
        if (auto verified = verify_record(); !verified) return fail(std::move(verified.error()));
        if (auto added = add_installer_files(); !added) return fail(std::move(added.error()));
        if (auto added = add_entry_points(); !added) return fail(std::move(added.error()));
        return finish();
    }

private:
    Status check_file_hash() {
        const bool need = !wheel_.expected_sha256.empty() || (wheel_.direct_url && wheel_.direct_url->sha256.empty());
        if (!need) return {};
        auto digest = file_digest_hex(wheel_.wheel, HashAlgorithm::Sha256);
        if (!digest) return fail(std::move(digest.error()));
        file_sha256_ = *digest;
        std::string expected = wheel_.expected_sha256;
        std::transform(expected.begin(), expected.end(), expected.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (!expected.empty() && *digest != expected)
            return fail(integrity(display_, fmt::format("sha256 is {}, expected {}", *digest, wheel_.expected_sha256)));
        return {};
    }

    // Where a member goes, relative to the prefix; empty (with `kind` set) for RECORD files.
    Result<std::string> map_member(const std::string& name, MemberKind& kind) {
        const auto slash = name.find('/');
        const std::string top = name.substr(0, slash);
        const std::string rest = slash == std::string::npos ? std::string() : name.substr(slash + 1);
        kind = MemberKind::Staged;
        if (top.ends_with(".dist-info") && !rest.empty()) {
            dist_info_dirs_.insert(top);
            if (rest == "RECORD") kind = MemberKind::Record;
            if (rest == "RECORD.jws" || rest == "RECORD.p7s") kind = MemberKind::Signature;
            if (kind != MemberKind::Staged) return std::string();
        }
        // "<name>-<version>.data/": the name must be this wheel's (a package folder may end in .data).
        const auto dash = top.find('-');
        if (top.ends_with(".data") && !rest.empty() && dash != std::string::npos &&
            pypi::names_equal(std::string_view(top).substr(0, dash), filename_.name)) {
            data_dirs_.insert(top);
            const auto scheme_end = rest.find('/');
            const auto scheme = rest.substr(0, scheme_end);
            if (scheme_end == std::string::npos)
                return fail(integrity(display_, fmt::format("member {} is not inside a .data scheme folder", name)));
            const auto path = rest.substr(scheme_end + 1);
            if (scheme == "purelib" || scheme == "platlib") return context_.site_packages + "/" + path;
            if (scheme == "scripts") {
                kind = MemberKind::Script;
                return "bin/" + path;
            }
            if (scheme == "headers")
                return fmt::format("include/python{}/{}/{}", context_.python_version, filename_.name, path);
            if (scheme == "data") {
                if (path == "conda-meta" || path.starts_with("conda-meta/"))
                    return fail(integrity(display_, fmt::format("member {} would write into conda-meta/", name)));
                return path;
            }
            return fail(integrity(display_, fmt::format("member {} uses the unknown .data scheme '{}' (expected "
                                                        "purelib, platlib, scripts, headers or data)",
                                                        name, scheme)));
        }
        return context_.site_packages + "/" + name;
    }

    Status read_archive() {
        std::unique_ptr<archive, ArchiveFree> reader(archive_read_new());
        archive_read_support_format_zip_seekable(reader.get());
        if (archive_read_open_filename(reader.get(), wheel_.wheel.c_str(), 1 << 16) != ARCHIVE_OK)
            return fail(integrity(display_, fmt::format("not a readable zip archive: {}",
                                                        archive_message(reader.get()))));
        std::unordered_set<std::string> names;
        std::unordered_map<std::string, std::string> owners;  // target -> member
        std::vector<char> buffer(1 << 16);
        archive_entry* entry = nullptr;
        for (;;) {
            const int status = archive_read_next_header(reader.get(), &entry);
            if (status == ARCHIVE_EOF) break;
            if (status < ARCHIVE_WARN)
                return fail(integrity(display_, fmt::format("corrupt zip archive: {}", archive_message(reader.get()))));
            const char* raw = archive_entry_pathname_utf8(entry);
            if (raw == nullptr) raw = archive_entry_pathname(entry);
            std::string name = raw ? raw : "";
            if (archive_entry_filetype(entry) == AE_IFDIR || (name.ends_with('/') && archive_entry_size(entry) <= 0))
                continue;
            if (++entries_ > context_.limits.max_entries)
                return fail(integrity(display_, fmt::format("more than {} members", context_.limits.max_entries)));
            if (!is_safe_relative_path(name))
                return fail(integrity(display_, fmt::format("member '{}' is not a plain relative path; it could be "
                                                            "written outside the environment", name)));
            if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr)
                return fail(integrity(display_, fmt::format("member {} is not a regular file (wheels hold only files)", name)));
            if (archive_entry_is_encrypted(entry))
                return fail(integrity(display_, fmt::format("member {} is encrypted", name)));
            if (!names.insert(name).second)
                return fail(integrity(display_, fmt::format("member {} appears twice", name)));
            Member member;
            member.name = name;
            auto target = map_member(name, member.kind);
            if (!target) return fail(std::move(target.error()));
            member.target = std::move(*target);
            if (!member.target.empty()) {
                if (member.target.starts_with("conda-meta/") || !is_safe_relative_path(member.target))
                    return fail(integrity(display_, fmt::format("member {} maps to {} outside site-packages", name, member.target)));
                auto [at, inserted] = owners.emplace(member.target, name);
                if (!inserted)
                    return fail(integrity(display_, fmt::format("members {} and {} both install {}", at->second, name,
                                                                member.target)));
            }
            const mode_t mode = (archive_entry_perm(entry) & 0111) != 0 || member.kind == MemberKind::Script ? 0755 : 0644;
            if (auto read = read_member(reader.get(), member, mode, buffer); !read) return read;
            members_.push_back(std::move(member));
        }
        return {};
    }

    Status read_member(archive* reader, Member& member, mode_t mode, std::vector<char>& buffer) {
        const bool in_memory = member.kind != MemberKind::Staged || keep_in_memory(member.name);
        std::string contents;
        int fd = -1;
        std::string path;
        if (!in_memory) {
            if (auto made = directories_.ensure_parent(member.target); !made) return made;
            path = (staging_ / member.target).string();
            fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
            if (fd < 0) return fail(io_error("create", path, errno));
        }
        Digest digest("sha256");
        Status status;
        for (;;) {
            const auto got = archive_read_data(reader, buffer.data(), buffer.size());
            if (got == 0) break;
            if (got < 0) {
                status = fail(integrity(display_, fmt::format("cannot read member {}: {}", member.name,
                                                              archive_message(reader))));
                break;
            }
            const auto size = static_cast<std::size_t>(got);
            member.size += size;
            total_ += size;
            if (total_ > total_limit_) {
                status = fail(integrity(display_, fmt::format("expands to more than {} bytes; refusing it as a "
                                                              "possible zip bomb", total_limit_)));
                break;
            }
            digest.update(buffer.data(), size);
            if (in_memory) {
                contents.append(buffer.data(), size);
            } else if (auto wrote = write_all(fd, buffer.data(), size, path); !wrote) {
                status = wrote;
                break;
            }
        }
        if (fd >= 0 && ::close(fd) != 0 && status) status = fail(io_error("write", path, errno));
        if (!status) return status;
        member.archive_digest = digest.record_digest();
        member.staged_digest = member.archive_digest;
        member.staged_size = member.size;
        if (member.kind == MemberKind::Record) record_text_ = std::move(contents);
        else if (member.kind == MemberKind::Script) return stage_script(member, std::move(contents));
        else if (in_memory) {
            dist_info_files_[member.name.substr(member.name.find('/') + 1)] = contents;
            return write_staged(staging_, directories_, member.target, contents, mode);
        }
        return {};
    }

    static bool keep_in_memory(const std::string& name) {
        const auto slash = name.find('/');
        if (slash == std::string::npos || !std::string_view(name).substr(0, slash).ends_with(".dist-info")) return false;
        const auto rest = std::string_view(name).substr(slash + 1);
        return rest == "METADATA" || rest == "WHEEL" || rest == "entry_points.txt";
    }

    static Status write_all(int fd, const char* data, std::size_t size, const std::string& path) {
        while (size > 0) {
            const auto wrote = ::write(fd, data, size);
            if (wrote < 0) {
                if (errno == EINTR) continue;
                return fail(io_error("write", path, errno));
            }
            data += wrote;
            size -= static_cast<std::size_t>(wrote);
        }
        return {};
    }

    Status stage_script(Member& member, std::string contents) {
        const auto rewritten = rewrite_python_shebang(contents, context_.prefix + "/bin/python");
        const std::string_view staged = rewritten ? std::string_view(*rewritten) : std::string_view(contents);
        if (rewritten) {
            member.staged_digest = record_sha256(staged);
            member.staged_size = staged.size();
        }
        if (auto wrote = write_staged(staging_, directories_, member.target, staged, 0755); !wrote) return wrote;
        member.original = std::move(contents);
        return {};
    }

    Status check_layout() {
        if (dist_info_dirs_.size() != 1)
            return fail(integrity(display_, fmt::format("has {} .dist-info folders at its root, expected exactly one",
                                                        dist_info_dirs_.size())));
        dist_info_ = *dist_info_dirs_.begin();
        const auto stem = dist_info_.substr(0, dist_info_.size() - std::string_view(".dist-info").size());
        if (!data_dirs_.empty() && (data_dirs_.size() > 1 || *data_dirs_.begin() != stem + ".data"))
            return fail(integrity(display_, fmt::format("has the .data folder {} but the .dist-info folder {}",
                                                        *data_dirs_.begin(), dist_info_)));
        const auto dash = stem.find('-');
        if (dash == std::string::npos || !pypi::names_equal(stem.substr(0, dash), filename_.name))
            return fail(integrity(display_, fmt::format("its .dist-info folder {} does not match the wheel's name {}",
                                                        dist_info_, filename_.name)));
        const auto wheel_file = dist_info_files_.find("WHEEL");
        if (wheel_file == dist_info_files_.end()) return fail(integrity(display_, "has no .dist-info/WHEEL file"));
        auto info = pypi::WheelInfo::parse(wheel_file->second, display_ + "!" + dist_info_ + "/WHEEL");
        if (!info) return fail(std::move(info.error()));
        const auto metadata_file = dist_info_files_.find("METADATA");
        if (metadata_file == dist_info_files_.end()) return fail(integrity(display_, "has no .dist-info/METADATA file"));
        auto headers = pypi::HeaderDocument::parse(metadata_file->second, display_ + "!" + dist_info_ + "/METADATA");
        if (!headers) return fail(std::move(headers.error()));
        const auto name = headers->get("Name");
        const auto version = headers->get("Version");
        if (!name || !version) return fail(integrity(display_, "METADATA lacks Name or Version"));
        if (!pypi::names_equal(*name, filename_.name))
            return fail(integrity(display_, fmt::format("METADATA names the project {}, the file name {}", *name, filename_.name)));
        auto parsed = pypi::Version::parse(*version);
        if (!parsed || !(*parsed == filename_.version))
            return fail(integrity(display_, fmt::format("METADATA has version {}, the file name {}", *version,
                                                        filename_.version.to_string())));
        name_ = std::string(*name);
        version_ = std::string(*version);
        if (!saw_record())
            return fail(integrity(display_, fmt::format("has no {}/RECORD; installers must refuse it", dist_info_)));
        return {};
    }

    bool saw_record() const {
        return std::any_of(members_.begin(), members_.end(), [](const Member& m) { return m.kind == MemberKind::Record; });
    }

    Status verify_record() {
        auto entries = pypi::parse_record(record_text_, display_ + "!" + dist_info_ + "/RECORD");
        if (!entries) return fail(std::move(entries.error()));
        std::unordered_map<std::string, const pypi::RecordEntry*> listed;
        for (const auto& entry : *entries) {
            if (!is_safe_relative_path(entry.path))
                return fail(integrity(display_, fmt::format("RECORD lists '{}', a path outside the wheel; refusing it",
                                                            entry.path)));
            listed[entry.path] = &entry;
        }
        for (const auto& member : members_) {
            if (member.kind == MemberKind::Record || member.kind == MemberKind::Signature) continue;
            const auto found = listed.find(member.name);
            if (found == listed.end())
                return fail(integrity(display_, fmt::format("member {} is not listed in RECORD", member.name)));
            const auto& entry = *found->second;
            if (entry.hash_algorithm.empty())
                return fail(integrity(display_, fmt::format("RECORD has no hash for {}", member.name)));
            if (!accepted_algorithm(entry.hash_algorithm))
                return fail(integrity(display_, fmt::format("RECORD hashes {} with {}; only sha256, sha384 and sha512 "
                                                            "are accepted", member.name, entry.hash_algorithm)));
            auto expected = pypi::urlsafe_b64_decode(entry.hash_digest);
            if (!expected) return fail(integrity(display_, fmt::format("RECORD hash of {}: {}", member.name,
                                                                       expected.error().message)));
            std::string actual_digest = member.archive_digest;
            if (entry.hash_algorithm != "sha256") {
                auto other = member.kind == MemberKind::Script ? Result<std::string>(record_digest_of(member.original, entry.hash_algorithm))
                                                               : record_digest_of_file((staging_ / member.target).string(), entry.hash_algorithm);
                if (!other) return fail(std::move(other.error()));
                actual_digest = std::move(*other);
            }
            auto actual = pypi::urlsafe_b64_decode(actual_digest);
            if (!actual || *actual != *expected)
                return fail(integrity(display_, fmt::format("{} does not match its RECORD hash ({}={}, the member has {})",
                                                            member.name, entry.hash_algorithm, entry.hash_digest,
                                                            actual_digest)));
            if (entry.size && *entry.size != member.size)
                return fail(integrity(display_, fmt::format("{} has {} bytes, RECORD says {}", member.name, member.size,
                                                            *entry.size)));
        }
        return {};
    }

    static std::string record_digest_of(std::string_view data, std::string_view algorithm) {
        Digest digest(algorithm);
        digest.update(data.data(), data.size());
        return digest.record_digest();
    }

    Status add_file(const std::string& target, std::string_view contents, mode_t mode) {
        if (auto wrote = write_staged(staging_, directories_, target, contents, mode); !wrote) return wrote;
        Member member;
        member.name = target;
        member.target = target;
        member.staged_digest = record_sha256(contents);
        member.staged_size = contents.size();
        // A generated file replaces a member with the same target (an entry point over a script).
        std::erase_if(members_, [&](const Member& other) { return other.target == target; });
        members_.push_back(std::move(member));
        return {};
    }

    Status add_installer_files() {
        const auto directory = context_.site_packages + "/" + dist_info_;
        if (auto added = add_file(directory + "/INSTALLER", std::string(installer_name) + "\n", 0644); !added) return added;
        if (wheel_.requested)
            if (auto added = add_file(directory + "/REQUESTED", "", 0644); !added) return added;
        if (wheel_.direct_url) {
            const auto sha256 = wheel_.direct_url->sha256.empty() ? file_sha256_ : wheel_.direct_url->sha256;
            nlohmann::ordered_json document;
            document["url"] = strip_credentials(wheel_.direct_url->url);
            document["archive_info"]["hash"] = "sha256=" + sha256;
            document["archive_info"]["hashes"]["sha256"] = sha256;
            if (auto added = add_file(directory + "/direct_url.json", document.dump() + "\n", 0644); !added) return added;
        }
        return {};
    }

    Status add_entry_points() {
        const auto text = dist_info_files_.find("entry_points.txt");
        if (text == dist_info_files_.end()) return {};
        auto entry_points = pypi::parse_entry_points(text->second, display_ + "!" + dist_info_ + "/entry_points.txt");
        if (!entry_points) return fail(std::move(entry_points.error()));
        const auto python = context_.prefix + "/bin/python";
        for (const auto& entry_point : *entry_points) {
            if (entry_point.group != "console_scripts" && entry_point.group != "gui_scripts") continue;
            if (!valid_script_name(entry_point.name))
                return fail(integrity(display_, fmt::format("entry point name '{}' is not a plain file name", entry_point.name)));
            if (entry_point.attribute.empty())
                return fail(integrity(display_, fmt::format("entry point {} = {} names no function", entry_point.name,
                                                            entry_point.module)));
            const auto script = link::python_entry_point_script(python, entry_point.module, entry_point.attribute);
            if (auto added = add_file("bin/" + entry_point.name, script, 0755); !added) return added;
        }
        return {};
    }

    Result<StagedWheel> finish() {
        StagedWheel staged;
        staged.name = name_;
        staged.version = version_;
        staged.dist_info = context_.site_packages + "/" + dist_info_;
        staged.staging = staging_;
        const auto site_prefix = context_.site_packages + "/";
        for (auto& member : members_) {
            if (member.kind == MemberKind::Record || member.kind == MemberKind::Signature) continue;
            StagedFile file;
            file.target = member.target;
            file.sha256_digest = member.staged_digest;
            file.size = member.staged_size;
            file.compile = member.target.starts_with(site_prefix) && member.target.ends_with(".py") &&
                           !member.target.starts_with(staged.dist_info + "/");
            if (member.target.starts_with("bin/")) staged.scripts.push_back(member.target);
            staged.files.push_back(std::move(file));
        }
        std::sort(staged.files.begin(), staged.files.end(),
                  [](const StagedFile& a, const StagedFile& b) { return a.target < b.target; });
        std::sort(staged.scripts.begin(), staged.scripts.end());
        return staged;
    }

    const WheelToInstall& wheel_;
    const StageContext& context_;
    fs::path staging_;
    DirectoryMaker directories_;
    std::string display_;
    pypi::WheelFilename filename_;
    std::uint64_t total_limit_ = 0;
    std::uint64_t total_ = 0;
    std::uint64_t entries_ = 0;
    std::string file_sha256_;
    std::vector<Member> members_;
    std::set<std::string> dist_info_dirs_;
    std::set<std::string> data_dirs_;
    std::map<std::string, std::string> dist_info_files_;  // METADATA, WHEEL, entry_points.txt
    std::string record_text_;
    std::string dist_info_;
    std::string name_;
    std::string version_;
};

}  // namespace

Result<StagedWheel> stage_wheel(const WheelToInstall& wheel, const StageContext& context, const fs::path& staging) {
    return Stager(wheel, context, staging).run();
}

}  // namespace envctl::pip::detail
