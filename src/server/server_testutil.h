// Helpers for tests that start a real Server: a temporary data directory and
// the bootstrap credentials the server writes into it.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/sigv4.h"

namespace orgtrail::server::testing {

// A new empty directory under the system's temp directory.
inline std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Value of `name = value` in an ini file's text.
inline std::string IniValue(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) {
      std::string v = line.substr(line.find('=') + 1);
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
  }
  return "";
}

// The management account's keys from <data_dir>/aws/credentials.
inline auth::SigningCredentials BootstrapCredentials(const std::string& data_dir) {
  std::string creds = ReadAll(data_dir + "/aws/credentials");
  return auth::SigningCredentials{IniValue(creds, "aws_access_key_id"),
                                  IniValue(creds, "aws_secret_access_key"), ""};
}

}  // namespace orgtrail::server::testing
