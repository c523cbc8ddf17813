#ifndef AMAHOST_TESTS_CTAGENT_FIXTURE_H_
#define AMAHOST_TESTS_CTAGENT_FIXTURE_H_

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace ctagent_test {

// Writes `text` to `root`/`relative`, creating its folders.
inline void Write(const std::filesystem::path& root, std::string_view relative,
                  std::string_view text) {
  const std::filesystem::path path = root / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Writes an executable shell script to `path`: a stand-in for rpm or systemctl.
inline void WriteProgram(const std::filesystem::path& path, std::string_view script) {
  Write(path.parent_path(), path.filename().string(), script);
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

// A machine in a folder: three packages (one only configured, not installed), three services
// (one enabled, one disabled, one static), /etc with two .conf files and one other file.
inline void MakeMachine(const std::filesystem::path& root) {
  Write(root, "etc/hostname", "fixture-vm\n");
  Write(root, "var/lib/dpkg/status",
        "Package: openssl\n"
        "Status: install ok installed\n"
        "Priority: optional\n"
        "Installed-Size: 2000\n"
        "Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n"
        "Architecture: amd64\n"
        "Version: 3.0.11-1~deb12u2\n"
        "Description: Secure Sockets Layer toolkit - cryptographic utility\n"
        " This package is part of the OpenSSL project's implementation.\n"
        "\n"
        "Package: nginx\n"
        "Status: install ok installed\n"
        "Installed-Size: 1000\n"
        "Maintainer: Debian Nginx Maintainers <pkg-nginx-maintainers@alioth-lists.debian.net>\n"
        "Architecture: amd64\n"
        "Version: 1.22.1-9\n"
        "Description: small, powerful, scalable web/proxy server\n"
        "\n"
        "Package: removed-pkg\n"
        "Status: deinstall ok config-files\n"
        "Architecture: all\n"
        "Version: 1.0\n");
  Write(root, "lib/systemd/system/nginx.service",
        "[Unit]\nDescription=A high performance web server\n\n[Service]\nExecStart=/x\n\n"
        "[Install]\nWantedBy=multi-user.target\n");
  Write(root, "lib/systemd/system/cron.service",
        "[Unit]\nDescription=Regular background program processing daemon\n\n"
        "[Install]\nWantedBy=multi-user.target\n");
  Write(root, "lib/systemd/system/systemd-journald.service",
        "[Unit]\nDescription=Journal Service\n");
  Write(root, "lib/systemd/system/getty@.service", "[Unit]\nDescription=Getty on %I\n");
  std::filesystem::create_directories(root / "etc/systemd/system/multi-user.target.wants");
  std::filesystem::create_symlink(
      "/lib/systemd/system/nginx.service",
      root / "etc/systemd/system/multi-user.target.wants/nginx.service");
  Write(root, "etc/app.conf", "a = 1\n");
  Write(root, "etc/nginx/nginx.conf", "worker_processes auto;\n");
  Write(root, "etc/motd", "hello\n");
}

}  // namespace ctagent_test

#endif  // AMAHOST_TESTS_CTAGENT_FIXTURE_H_
