#include "cfn/stack_store.h"

#include "base/strings.h"
#include "cfn/template.h"

namespace orgtrail::cfn {
namespace {

using catalog::AsString;

Json StackToJson(const StackRecord& s) {
  return {{"stack_id", s.stack_id}, {"name", s.name}, {"account_id", s.account_id},
          {"region", s.region}, {"status", s.status}, {"status_reason", s.status_reason},
          {"description", s.description}, {"template_body", s.template_body},
          {"parameters", s.parameters}, {"no_echo", s.no_echo}, {"capabilities", s.capabilities},
          {"tags", s.tags}, {"outputs", s.outputs}, {"disable_rollback", s.disable_rollback},
          {"change_set_id", s.change_set_id}, {"created_ms", s.created_ms},
          {"updated_ms", s.updated_ms}, {"deleted_ms", s.deleted_ms}};
}

StackRecord StackFromJson(const Json& j) {
  StackRecord s;
  s.stack_id = j.value("stack_id", "");
  s.name = j.value("name", "");
  s.account_id = j.value("account_id", "");
  s.region = j.value("region", "");
  s.status = j.value("status", "");
  s.status_reason = j.value("status_reason", "");
  s.description = j.value("description", "");
  s.template_body = j.value("template_body", "");
  s.parameters = j.value("parameters", std::map<std::string, std::string>());
  s.no_echo = j.value("no_echo", std::vector<std::string>());
  s.capabilities = j.value("capabilities", std::vector<std::string>());
  s.tags = j.value("tags", Json::array());
  s.outputs = j.value("outputs", Json::array());
  s.disable_rollback = j.value("disable_rollback", false);
  s.change_set_id = j.value("change_set_id", "");
  s.created_ms = j.value("created_ms", int64_t{0});
  s.updated_ms = j.value("updated_ms", int64_t{0});
  s.deleted_ms = j.value("deleted_ms", int64_t{0});
  return s;
}

Json ResourceToJson(const ResourceRecord& r) {
  return {{"physical_id", r.physical_id}, {"type", r.type}, {"status", r.status},
          {"status_reason", r.status_reason}, {"properties", r.properties},
          {"attributes", r.attributes}, {"updated_ms", r.updated_ms}};
}

ResourceRecord ResourceFromJson(const std::string& stack_id, const std::string& logical, const Json& j) {
  ResourceRecord r;
  r.stack_id = stack_id;
  r.logical_id = logical;
  r.physical_id = j.value("physical_id", "");
  r.type = j.value("type", "");
  r.status = j.value("status", "");
  r.status_reason = j.value("status_reason", "");
  r.properties = j.value("properties", Json::object());
  r.attributes = j.value("attributes", Json::object());
  r.updated_ms = j.value("updated_ms", int64_t{0});
  return r;
}

Json EventToJson(const EventRecord& e) {
  return {{"event_id", e.event_id}, {"stack_name", e.stack_name}, {"logical_id", e.logical_id},
          {"physical_id", e.physical_id}, {"type", e.type}, {"status", e.status},
          {"reason", e.reason}, {"properties", e.properties}, {"timestamp_ms", e.timestamp_ms}};
}

EventRecord EventFromJson(const std::string& stack_id, const Json& j) {
  EventRecord e;
  e.stack_id = stack_id;
  e.event_id = j.value("event_id", "");
  e.stack_name = j.value("stack_name", "");
  e.logical_id = j.value("logical_id", "");
  e.physical_id = j.value("physical_id", "");
  e.type = j.value("type", "");
  e.status = j.value("status", "");
  e.reason = j.value("reason", "");
  e.properties = j.value("properties", "");
  e.timestamp_ms = j.value("timestamp_ms", int64_t{0});
  return e;
}

Json ChangeSetToJson(const ChangeSetRecord& c) {
  return {{"id", c.id}, {"name", c.name}, {"stack_id", c.stack_id}, {"stack_name", c.stack_name},
          {"account_id", c.account_id}, {"region", c.region}, {"type", c.type},
          {"status", c.status}, {"execution_status", c.execution_status},
          {"status_reason", c.status_reason}, {"description", c.description},
          {"template_body", c.template_body}, {"parameters", c.parameters},
          {"capabilities", c.capabilities}, {"tags", c.tags}, {"changes", c.changes},
          {"created_ms", c.created_ms}};
}

ChangeSetRecord ChangeSetFromJson(const Json& j) {
  ChangeSetRecord c;
  c.id = j.value("id", "");
  c.name = j.value("name", "");
  c.stack_id = j.value("stack_id", "");
  c.stack_name = j.value("stack_name", "");
  c.account_id = j.value("account_id", "");
  c.region = j.value("region", "");
  c.type = j.value("type", "");
  c.status = j.value("status", "");
  c.execution_status = j.value("execution_status", "");
  c.status_reason = j.value("status_reason", "");
  c.description = j.value("description", "");
  c.template_body = j.value("template_body", "");
  c.parameters = j.value("parameters", Json::array());
  c.capabilities = j.value("capabilities", std::vector<std::string>());
  c.tags = j.value("tags", Json::array());
  c.changes = j.value("changes", Json::array());
  c.created_ms = j.value("created_ms", int64_t{0});
  return c;
}

Result<Json> Doc(const catalog::Value& v) {
  Json j = Json::parse(AsString(v), nullptr, false);
  if (j.is_discarded()) return Status::Internal("corrupt cfn catalog row");
  return j;
}

}  // namespace

Result<std::unique_ptr<StackStore>> StackStore::Open(catalog::Db& db) {
  OT_RETURN_IF_ERROR(db.ExecScript(R"sql(
    CREATE TABLE IF NOT EXISTS cfn_stacks (
      stack_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL,
      name TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS cfn_stacks_by_name ON cfn_stacks(account_id, region, name);
    CREATE TABLE IF NOT EXISTS cfn_resources (
      stack_id TEXT NOT NULL, logical_id TEXT NOT NULL, doc TEXT NOT NULL,
      PRIMARY KEY (stack_id, logical_id));
    CREATE TABLE IF NOT EXISTS cfn_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, stack_id TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS cfn_events_by_stack ON cfn_events(stack_id, seq);
    CREATE TABLE IF NOT EXISTS cfn_changesets (
      id TEXT PRIMARY KEY, stack_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS cfn_exports (
      account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
      stack_id TEXT NOT NULL, PRIMARY KEY (account_id, region, name));
  )sql"));
  return std::unique_ptr<StackStore>(new StackStore(db));
}

Status StackStore::PutStack(const StackRecord& s) {
  return db_
      .Exec("INSERT OR REPLACE INTO cfn_stacks(stack_id, account_id, region, name, deleted, doc) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
            {s.stack_id, s.account_id, s.region, s.name,
             int64_t{s.status == "DELETE_COMPLETE" ? 1 : 0}, StackToJson(s).dump()})
      .status();
}

Result<std::optional<StackRecord>> StackStore::FindStack(const std::string& account,
                                                         const std::string& region,
                                                         const std::string& name_or_id) {
  std::vector<catalog::Row> rows;
  if (StartsWith(name_or_id, "arn:")) {
    OT_ASSIGN_OR_RETURN(rows, db_.Query("SELECT doc FROM cfn_stacks WHERE stack_id = ?1 AND "
                                        "account_id = ?2 AND region = ?3",
                                        {name_or_id, account, region}));
  } else {
    OT_ASSIGN_OR_RETURN(rows, db_.Query("SELECT doc FROM cfn_stacks WHERE account_id = ?1 AND "
                                        "region = ?2 AND name = ?3 AND deleted = 0",
                                        {account, region, name_or_id}));
  }
  if (rows.empty()) return std::optional<StackRecord>();
  OT_ASSIGN_OR_RETURN(Json j, Doc(rows[0][0]));
  return std::optional<StackRecord>(StackFromJson(j));
}

Result<std::vector<StackRecord>> StackStore::ListStacks(const std::string& account,
                                                        const std::string& region) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT doc FROM cfn_stacks WHERE account_id = ?1 AND "
                                           "region = ?2 ORDER BY rowid DESC",
                                           {account, region}));
  std::vector<StackRecord> out;
  for (const auto& r : rows) {
    OT_ASSIGN_OR_RETURN(Json j, Doc(r[0]));
    out.push_back(StackFromJson(j));
  }
  return out;
}

Status StackStore::PutResource(const ResourceRecord& r) {
  return db_
      .Exec("INSERT OR REPLACE INTO cfn_resources(stack_id, logical_id, doc) VALUES(?1, ?2, ?3)",
            {r.stack_id, r.logical_id, ResourceToJson(r).dump()})
      .status();
}

Status StackStore::DeleteResource(const std::string& stack_id, const std::string& logical_id) {
  return db_
      .Exec("DELETE FROM cfn_resources WHERE stack_id = ?1 AND logical_id = ?2",
            {stack_id, logical_id})
      .status();
}

Result<std::vector<ResourceRecord>> StackStore::ListResources(const std::string& stack_id) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT logical_id, doc FROM cfn_resources WHERE "
                                           "stack_id = ?1 ORDER BY logical_id",
                                           {stack_id}));
  std::vector<ResourceRecord> out;
  for (const auto& r : rows) {
    OT_ASSIGN_OR_RETURN(Json j, Doc(r[1]));
    out.push_back(ResourceFromJson(stack_id, AsString(r[0]), j));
  }
  return out;
}

Status StackStore::AddEvent(const EventRecord& e) {
  return db_.Exec("INSERT INTO cfn_events(stack_id, doc) VALUES(?1, ?2)",
                  {e.stack_id, EventToJson(e).dump()})
      .status();
}

Result<std::vector<EventRecord>> StackStore::ListEvents(const std::string& stack_id) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT doc FROM cfn_events WHERE stack_id = ?1 "
                                           "ORDER BY seq DESC",
                                           {stack_id}));
  std::vector<EventRecord> out;
  for (const auto& r : rows) {
    OT_ASSIGN_OR_RETURN(Json j, Doc(r[0]));
    out.push_back(EventFromJson(stack_id, j));
  }
  return out;
}

Status StackStore::PutChangeSet(const ChangeSetRecord& c) {
  return db_
      .Exec("INSERT OR REPLACE INTO cfn_changesets(id, stack_id, name, doc) VALUES(?1, ?2, ?3, ?4)",
            {c.id, c.stack_id, c.name, ChangeSetToJson(c).dump()})
      .status();
}

Status StackStore::DeleteChangeSet(const std::string& id) {
  return db_.Exec("DELETE FROM cfn_changesets WHERE id = ?1", {id}).status();
}

Result<std::optional<ChangeSetRecord>> StackStore::FindChangeSet(const std::string& account,
                                                                 const std::string& region,
                                                                 const std::string& name_or_id,
                                                                 const std::string& stack_id) {
  std::vector<catalog::Row> rows;
  if (StartsWith(name_or_id, "arn:")) {
    OT_ASSIGN_OR_RETURN(rows, db_.Query("SELECT doc FROM cfn_changesets WHERE id = ?1", {name_or_id}));
  } else {
    OT_ASSIGN_OR_RETURN(rows, db_.Query("SELECT doc FROM cfn_changesets WHERE stack_id = ?1 AND "
                                        "name = ?2",
                                        {stack_id, name_or_id}));
  }
  if (rows.empty()) return std::optional<ChangeSetRecord>();
  OT_ASSIGN_OR_RETURN(Json j, Doc(rows[0][0]));
  ChangeSetRecord c = ChangeSetFromJson(j);
  if (c.account_id != account || c.region != region) return std::optional<ChangeSetRecord>();
  return std::optional<ChangeSetRecord>(std::move(c));
}

Result<std::vector<ChangeSetRecord>> StackStore::ListChangeSets(const std::string& stack_id) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT doc FROM cfn_changesets WHERE stack_id = ?1 "
                                           "ORDER BY rowid",
                                           {stack_id}));
  std::vector<ChangeSetRecord> out;
  for (const auto& r : rows) {
    OT_ASSIGN_OR_RETURN(Json j, Doc(r[0]));
    out.push_back(ChangeSetFromJson(j));
  }
  return out;
}

Status StackStore::PutExport(const std::string& account, const std::string& region,
                             const std::string& name, const std::string& value,
                             const std::string& stack_id) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT stack_id FROM cfn_exports WHERE account_id = ?1 "
                                           "AND region = ?2 AND name = ?3",
                                           {account, region, name}));
  if (!rows.empty() && AsString(rows[0][0]) != stack_id)
    return ValidationError("Export with name " + name + " is already exported by stack " +
                           AsString(rows[0][0]));
  return db_
      .Exec("INSERT OR REPLACE INTO cfn_exports(account_id, region, name, value, stack_id) "
            "VALUES(?1, ?2, ?3, ?4, ?5)",
            {account, region, name, value, stack_id})
      .status();
}

Result<std::optional<std::string>> StackStore::FindExport(const std::string& account,
                                                          const std::string& region,
                                                          const std::string& name) {
  OT_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT value FROM cfn_exports WHERE account_id = ?1 "
                                           "AND region = ?2 AND name = ?3",
                                           {account, region, name}));
  if (rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(AsString(rows[0][0]));
}

Status StackStore::DeleteExports(const std::string& stack_id) {
  return db_.Exec("DELETE FROM cfn_exports WHERE stack_id = ?1", {stack_id}).status();
}

}  // namespace orgtrail::cfn
