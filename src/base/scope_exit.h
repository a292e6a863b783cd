// ScopeExit: runs a callable when the scope it lives in ends, however it
// ends (return, early OT_RETURN_IF_ERROR, exception). Not copyable or movable.
//
//   ScopeExit forget([this] { Forget(); });
#pragma once

#include <utility>

namespace orgtrail {

template <typename F>
class ScopeExit {
 public:
  explicit ScopeExit(F f) : f_(std::move(f)) {}
  ~ScopeExit() { f_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  F f_;
};

}  // namespace orgtrail
