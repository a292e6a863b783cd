// orgtrail: the command-line tool. One file per subcommand registers itself
// here (validate_logs_command.h, ...).
#include <CLI/CLI.hpp>

#include "cli/trail_policy_command.h"
#include "cli/validate_logs_command.h"

int main(int argc, char** argv) {
  CLI::App app{"orgtrail: command-line tools for an orgtrail organization audit trail"};
  app.require_subcommand(1);
  int exit_code = 0;
  orgtrail::cli::AddValidateLogsCommand(app, &exit_code);
  orgtrail::cli::AddTrailPolicyCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 255;
  }
  return exit_code;
}
