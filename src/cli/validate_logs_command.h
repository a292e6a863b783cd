// `orgtrail validate-logs`: verifies a trail's digest chains and log files
// with validate::Validator and prints a summary like the AWS CLI's (or JSON
// with --json). Exit status: 0 when everything is valid, 1 on any finding,
// 255 when the run itself fails. One file per subcommand; main.cc wires them.
// Called once from main (not thread-safe; the Validator inside is parallel).
#pragma once

#include <CLI/CLI.hpp>

namespace orgtrail::cli {

// Registers the subcommand on `app`; its callback stores the exit status in
// *exit_code (which must outlive app.parse).
void AddValidateLogsCommand(CLI::App& app, int* exit_code);

}  // namespace orgtrail::cli
