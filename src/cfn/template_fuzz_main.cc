// libFuzzer entry point for the template parser and engine: arbitrary bytes
// as a template body must give a template or a ValidationError, never a
// crash, a hang or an exception.
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address -Isrc src/cfn/template_fuzz_main.cc
//        src/cfn/template.cc src/cfn/evaluator.cc src/cfn/pattern_match.cc
//        $(ls src/base/*.cc | grep -v _test) -lyaml -lssl -lcrypto
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cfn/evaluator.h"
#include "cfn/template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto t = orgtrail::cfn::ParseTemplate(body);
  if (!t.ok()) return 0;
  auto model = orgtrail::cfn::AnalyzeTemplate(*t);
  if (!model.ok()) return 0;
  std::map<std::string, std::string> params;
  for (const auto& p : model->parameters) params[p.name] = p.default_value.value_or("x");
  orgtrail::cfn::Evaluator ev(*model, params, orgtrail::cfn::PseudoParams{}, nullptr);
  ev.SetAllowUnresolved(true);
  if (!ev.EvaluateConditions().ok()) return 0;
  for (const auto& id : model->order) (void)ev.Resolve(model->resources.at(id).properties);
  for (const auto& o : model->outputs) (void)ev.Resolve(o.value);
  return 0;
}
