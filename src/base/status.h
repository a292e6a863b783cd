// Status and Result<T>: how every module reports expected failures.
//
// A Status is either OK or an error carrying an AWS-style error code (the
// string an AWS client sees, e.g. "NoSuchBucket"), a human message, the HTTP
// status the API layer should answer with, and whether the fault is the
// client's (Sender) or ours (Receiver). Services return them; the protocol
// codecs in api/ render them in each protocol's error shape. No exceptions
// cross module boundaries. Thread-compatible value types.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace orgtrail {

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  // A client fault with an AWS error code; http_status defaults to 400.
  static Status Error(std::string code, std::string message, int http_status = 400) {
    return Status(std::move(code), std::move(message), http_status, true);
  }
  // A server fault (InternalError/ServiceUnavailable); never a client's doing.
  static Status Internal(std::string message, int http_status = 500) {
    return Status("InternalError", std::move(message), http_status, false);
  }
  static Status NotImplemented(std::string what) {
    return Status("NotImplemented", std::move(what) + " is not implemented by orgtrail yet", 501,
                  false);
  }
  static Status AccessDenied(std::string message) {
    return Status("AccessDenied", std::move(message), 403, true);
  }

  bool ok() const { return code_.empty(); }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  int http_status() const { return ok() ? 200 : http_status_; }
  bool sender_fault() const { return sender_; }
  std::string ToString() const { return ok() ? "OK" : code_ + ": " + message_; }

  // Returns a copy with another code and status, same message (protocol mapping).
  Status WithCode(std::string code, int http_status) const {
    return Status(std::move(code), message_, http_status, sender_);
  }

 private:
  Status(std::string code, std::string message, int http_status, bool sender)
      : code_(std::move(code)), message_(std::move(message)), http_status_(http_status),
        sender_(sender) {}

  std::string code_;
  std::string message_;
  int http_status_ = 200;
  bool sender_ = true;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace orgtrail

// Early-return helpers.
#define OT_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::orgtrail::Status ot_status_ = (expr);   \
    if (!ot_status_.ok()) return ot_status_;  \
  } while (0)

#define OT_CONCAT_INNER(a, b) a##b
#define OT_CONCAT(a, b) OT_CONCAT_INNER(a, b)
#define OT_ASSIGN_OR_RETURN(lhs, expr) OT_ASSIGN_OR_RETURN_IMPL(OT_CONCAT(ot_r_, __LINE__), lhs, expr)
#define OT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
