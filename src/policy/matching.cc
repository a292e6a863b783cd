#include "policy/matching.h"

#include <algorithm>
#include <cstddef>

namespace orgtrail::policy {
namespace {

char Fold(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Fold(a[i]) != Fold(b[i])) return false;
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void AppendLiteral(Pattern* p, std::string_view s) {
  p->text.append(s);
  p->literal.insert(p->literal.end(), s.size(), true);
}

}  // namespace

const std::vector<std::string>* LookupContext(const ContextValues& context, std::string_view key) {
  auto exact = context.find(std::string(key));
  if (exact != context.end()) return &exact->second;
  for (const auto& [k, v] : context)
    if (EqualsIgnoreCase(k, key)) return &v;
  return nullptr;
}

Pattern Pattern::Plain(std::string_view s) {
  Pattern p;
  p.text.assign(s);
  p.literal.assign(s.size(), false);
  return p;
}

bool GlobMatch(const Pattern& pattern, std::string_view text, bool ignore_case) {
  // Iterative glob with backtracking to the most recent '*': O(n*m) worst
  // case, no recursion (safe on hostile input).
  const std::string& p = pattern.text;
  size_t pi = 0, ti = 0;
  size_t star_p = std::string::npos, star_t = 0;
  auto is_wild = [&](size_t i, char w) { return p[i] == w && !pattern.literal[i]; };
  while (ti < text.size()) {
    if (pi < p.size() && is_wild(pi, '*')) {
      star_p = pi++;
      star_t = ti;
    } else if (pi < p.size() &&
               (is_wild(pi, '?') ||
                (ignore_case ? Fold(p[pi]) == Fold(text[ti]) : p[pi] == text[ti]))) {
      ++pi;
      ++ti;
    } else if (star_p != std::string::npos) {
      pi = star_p + 1;
      ti = ++star_t;
    } else {
      return false;
    }
  }
  while (pi < p.size() && is_wild(pi, '*')) ++pi;
  return pi == p.size();
}

bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  return GlobMatch(Pattern::Plain(pattern), text, ignore_case);
}

bool HasVariables(std::string_view s) { return s.find("${") != std::string_view::npos; }

std::optional<Pattern> ExpandVariables(std::string_view s, const ContextValues& context,
                                       bool enabled, std::string* missing) {
  if (!enabled || !HasVariables(s)) return Pattern::Plain(s);
  Pattern out;
  size_t i = 0;
  while (i < s.size()) {
    size_t open = s.find("${", i);
    if (open == std::string_view::npos) break;
    size_t close = s.find('}', open + 2);
    if (close == std::string_view::npos) break;  // unterminated: the rest is plain text
    Pattern plain = Pattern::Plain(s.substr(i, open - i));
    out.text += plain.text;
    out.literal.insert(out.literal.end(), plain.literal.begin(), plain.literal.end());
    std::string_view body = s.substr(open + 2, close - open - 2);
    i = close + 1;
    if (body == "*" || body == "?" || body == "$") {
      AppendLiteral(&out, body);
      continue;
    }
    std::optional<std::string_view> dflt;
    size_t comma = body.find(',');
    std::string_view name = TrimSpaces(body.substr(0, comma));
    if (comma != std::string_view::npos) {
      std::string_view d = TrimSpaces(body.substr(comma + 1));
      if (d.size() >= 2 && d.front() == '\'' && d.back() == '\'') dflt = d.substr(1, d.size() - 2);
    }
    const std::vector<std::string>* values = LookupContext(context, name);
    if (values != nullptr && values->size() == 1) {
      AppendLiteral(&out, values->front());
    } else if (dflt) {
      AppendLiteral(&out, *dflt);
    } else {
      if (missing != nullptr) *missing = std::string(name);
      return std::nullopt;
    }
  }
  Pattern rest = Pattern::Plain(s.substr(std::min(i, s.size())));
  out.text += rest.text;
  out.literal.insert(out.literal.end(), rest.literal.begin(), rest.literal.end());
  return out;
}

}  // namespace orgtrail::policy
