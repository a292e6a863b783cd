// StackStore: CloudFormation's durable state in the shared catalog
// (tables cfn_stacks, cfn_resources, cfn_events, cfn_changesets,
// cfn_exports). Stacks and exports are scoped by (account, region). Each
// row keeps its key columns plus a JSON document of the record. Used only by
// CfnService. Thread-safe (every statement runs under the Db's mutex).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/db.h"

namespace orgtrail::cfn {

struct StackRecord {
  std::string stack_id;  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>
  std::string name;
  std::string account_id;
  std::string region;
  std::string status;
  std::string status_reason;
  std::string description;
  std::string template_body;
  std::map<std::string, std::string> parameters;
  std::vector<std::string> no_echo;  // parameter names shown as ****
  std::vector<std::string> capabilities;
  Json tags = Json::array();     // [{Key, Value}]
  Json outputs = Json::array();  // [{OutputKey, OutputValue, Description?, ExportName?}]
  bool disable_rollback = false;
  std::string change_set_id;
  int64_t created_ms = 0, updated_ms = 0, deleted_ms = 0;
};

struct ResourceRecord {
  std::string stack_id;
  std::string logical_id;
  std::string physical_id;
  std::string type;
  std::string status;
  std::string status_reason;
  Json properties = Json::object();  // evaluated, as last applied
  Json attributes = Json::object();
  int64_t updated_ms = 0;
};

struct EventRecord {
  std::string event_id;
  std::string stack_id;
  std::string stack_name;
  std::string logical_id;
  std::string physical_id;
  std::string type;
  std::string status;
  std::string reason;
  std::string properties;  // JSON text, may be empty
  int64_t timestamp_ms = 0;
};

struct ChangeSetRecord {
  std::string id;  // arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<uuid>
  std::string name;
  std::string stack_id;
  std::string stack_name;
  std::string account_id;
  std::string region;
  std::string type;  // CREATE | UPDATE
  std::string status;            // CREATE_COMPLETE | FAILED | DELETE_COMPLETE
  std::string execution_status;  // AVAILABLE | UNAVAILABLE | EXECUTE_COMPLETE | EXECUTE_FAILED | OBSOLETE
  std::string status_reason;
  std::string description;
  std::string template_body;
  Json parameters = Json::array();  // [{ParameterKey, ParameterValue, UsePreviousValue}] as given
  std::vector<std::string> capabilities;
  Json tags = Json::array();
  Json changes = Json::array();
  int64_t created_ms = 0;
};

class StackStore {
 public:
  // Creates the tables if needed. `db` must outlive the store.
  static Result<std::unique_ptr<StackStore>> Open(catalog::Db& db);

  Status PutStack(const StackRecord& s);
  // By name (live stacks only) or by stack id (deleted ones too).
  Result<std::optional<StackRecord>> FindStack(const std::string& account, const std::string& region,
                                               const std::string& name_or_id);
  Result<std::vector<StackRecord>> ListStacks(const std::string& account, const std::string& region);

  Status PutResource(const ResourceRecord& r);
  Status DeleteResource(const std::string& stack_id, const std::string& logical_id);
  Result<std::vector<ResourceRecord>> ListResources(const std::string& stack_id);

  Status AddEvent(const EventRecord& e);
  // Newest first.
  Result<std::vector<EventRecord>> ListEvents(const std::string& stack_id);

  Status PutChangeSet(const ChangeSetRecord& c);
  Status DeleteChangeSet(const std::string& id);
  Result<std::optional<ChangeSetRecord>> FindChangeSet(const std::string& account,
                                                       const std::string& region,
                                                       const std::string& name_or_id,
                                                       const std::string& stack_id);
  Result<std::vector<ChangeSetRecord>> ListChangeSets(const std::string& stack_id);

  // Adds an export; AlreadyExists-style ValidationError when another stack
  // exports that name.
  Status PutExport(const std::string& account, const std::string& region, const std::string& name,
                   const std::string& value, const std::string& stack_id);
  Result<std::optional<std::string>> FindExport(const std::string& account,
                                                const std::string& region, const std::string& name);
  Status DeleteExports(const std::string& stack_id);

 private:
  explicit StackStore(catalog::Db& db) : db_(db) {}
  catalog::Db& db_;
};

}  // namespace orgtrail::cfn
