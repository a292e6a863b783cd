#include "server/clock_control.h"

#include <charconv>
#include <memory>
#include <mutex>

#include "base/strings.h"

namespace orgtrail::server {

namespace {

api::HttpResponse JsonAnswer(int status, const Json& body) {
  api::HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

Status BadQuery(const std::string& why) {
  return Status::Error("InvalidParameterValue", why);
}

}  // namespace

Result<Duration> ParseAdvanceQuery(std::string_view query) {
  auto params = ParseQueryString(query, /*plus_as_space=*/true);
  if (!params) return BadQuery("malformed query string");
  std::optional<int64_t> seconds;
  for (const auto& [name, value] : *params) {
    int64_t unit = 0;
    if (name == "days") {
      unit = 86400;
    } else if (name == "seconds") {
      unit = 1;
    } else {
      return BadQuery("unknown parameter '" + name + "': use days=N or seconds=N");
    }
    if (seconds) return BadQuery("give exactly one of days=N or seconds=N");
    int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size() || n < 0 ||
        n > kMaxAdvanceSeconds / unit) {
      return BadQuery(name + " must be an integer from 0 to " +
                      std::to_string(kMaxAdvanceSeconds / unit) + ", got '" + value + "'");
    }
    seconds = n * unit;
  }
  if (!seconds) return BadQuery("give days=N or seconds=N");
  return Duration(std::chrono::seconds(*seconds));
}

api::HttpHandler MakeClockAdvanceHandler(AdvanceableClock& clock, AfterAdvance after) {
  auto mu = std::make_shared<std::mutex>();
  return [&clock, after = std::move(after), mu](const api::HttpRequest& req) {
    if (req.method != "POST") {
      api::HttpResponse r = JsonAnswer(
          405, Json{{"__type", "MethodNotAllowed"}, {"message", "use POST"}});
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
    auto d = ParseAdvanceQuery(req.Query());
    if (!d.ok()) {
      return JsonAnswer(400, Json{{"__type", d.status().code()},
                                  {"message", d.status().message()}});
    }
    // One advance (and its lifecycle run) at a time, so answers are in order.
    std::lock_guard<std::mutex> l(*mu);
    clock.Advance(*d);
    TimePoint now = clock.Now();
    Json body = Json::object();
    if (after) {
      Json extra = after(now);
      if (extra.is_object()) body.update(extra);
    }
    body["now"] = FormatIso8601(now);
    body["unixSeconds"] = ToUnixSeconds(now);
    body["offsetSeconds"] =
        std::chrono::duration_cast<std::chrono::seconds>(clock.offset()).count();
    return JsonAnswer(200, body);
  };
}

}  // namespace orgtrail::server
