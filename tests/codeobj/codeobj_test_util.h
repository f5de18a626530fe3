// Helpers shared by the code-object tests: the list of built code objects, running the
// LLVM tools, and small parsers for their output (the YAML llvm-readelf prints for the
// metadata note, and the .amdhsa_* directives of llvm-objdump and clang -S).
#pragma once
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cotest {

struct BuiltObject {
  std::string path, source, flags;  // source/flags empty when not recompilable
};

inline std::vector<BuiltObject> built_objects() {
  std::ifstream f(SPORK_CODEOBJ_MANIFEST);
  if (!f) throw std::runtime_error("cannot read " SPORK_CODEOBJ_MANIFEST);
  std::vector<BuiltObject> out;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    size_t a = line.find('|'), b = line.find('|', a + 1);
    if (a == std::string::npos || b == std::string::npos) throw std::runtime_error("bad manifest line: " + line);
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return out;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  if (!f) throw std::runtime_error("cannot write " + path);
}

struct RunResult {
  int status = -1;
  std::string out;
};

// Runs a shell command, capturing stdout (stderr too when merge_stderr).
inline RunResult run(const std::string& cmd, bool merge_stderr = false) {
  RunResult r;
  std::string full = cmd + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + cmd);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

inline std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) v.push_back(l);
  return v;
}

// ---- The YAML subset llvm-readelf prints for NT_AMDGPU_METADATA ----
struct Yaml {
  enum Kind { Scalar, Map, List } kind = Scalar;
  std::string value;
  std::vector<std::pair<std::string, Yaml>> map;  // in file order
  std::vector<Yaml> list;

  const Yaml* get(const std::string& k) const {
    for (const auto& [key, v] : map)
      if (key == k) return &v;
    return nullptr;
  }
  std::string str(const std::string& k) const {
    const Yaml* y = get(k);
    return y ? y->value : "";
  }
};

class YamlParser {
 public:
  explicit YamlParser(std::vector<std::string> ls) {
    for (auto& l : ls) {
      std::string t = trim(l);
      if (t.empty() || t == "---" || t == "...") continue;
      size_t ind = l.find_first_not_of(' ');
      lines_.push_back({int(ind), l.substr(ind)});
    }
  }
  Yaml parse() { return lines_.empty() ? Yaml{} : block(lines_[0].indent); }

 private:
  struct Line {
    int indent;
    std::string text;
  };
  std::vector<Line> lines_;
  size_t pos_ = 0;

  static std::string unquote(std::string v) {
    v = trim(v);
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
      std::string o;
      for (size_t i = 1; i + 1 < v.size(); ++i) {
        o += v[i];
        if (v[i] == '\'' && v[i + 1] == '\'') ++i;
      }
      return o;
    }
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
    return v;
  }
  static bool split_key(const std::string& t, std::string& key, std::string& val) {
    size_t c = t.find(": ");
    if (c == std::string::npos && !t.empty() && t.back() == ':') c = t.size() - 1;
    if (c == std::string::npos || t[0] == '\'' || t[0] == '"') return false;
    key = t.substr(0, c);
    val = c + 1 < t.size() ? trim(t.substr(c + 1)) : "";
    return true;
  }
  Yaml block(int indent) {
    Yaml y;
    bool list = lines_[pos_].text.rfind("- ", 0) == 0 || lines_[pos_].text == "-";
    y.kind = list ? Yaml::List : Yaml::Map;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
      Line& l = lines_[pos_];
      if (list) {
        if (l.text.rfind("-", 0) != 0) break;
        std::string rest = l.text.size() > 2 ? l.text.substr(2) : "";
        std::string k, v;
        if (split_key(rest, k, v)) {
          // "- key: value" starts a map whose keys sit at indent + 2.
          l.indent += 2;
          l.text = rest;
          y.list.push_back(block(indent + 2));
        } else {
          Yaml s;
          s.value = unquote(rest);
          y.list.push_back(s);
          ++pos_;
        }
      } else {
        if (l.text.rfind("- ", 0) == 0) break;
        std::string k, v;
        if (!split_key(l.text, k, v)) throw std::runtime_error("unexpected YAML line: " + l.text);
        ++pos_;
        if (!v.empty()) {
          Yaml s;
          s.value = unquote(v);
          y.map.emplace_back(k, s);
        } else if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
          y.map.emplace_back(k, block(lines_[pos_].indent));
        } else if (pos_ < lines_.size() && lines_[pos_].indent == indent && lines_[pos_].text.rfind("- ", 0) == 0) {
          y.map.emplace_back(k, block(indent));  // a list at the key's own indent
        } else {
          y.map.emplace_back(k, Yaml{});
        }
      }
    }
    return y;
  }
};

// The metadata YAML from `llvm-readelf --notes` output.
inline Yaml readelf_metadata(const std::string& notes) {
  std::vector<std::string> ls = lines(notes), body;
  bool in = false;
  for (const std::string& l : ls) {
    if (!in) {
      if (l.find("AMDGPU Metadata:") != std::string::npos) in = true;
      continue;
    }
    if (trim(l) == "...") break;
    body.push_back(l);
  }
  if (!in) throw std::runtime_error("llvm-readelf printed no AMDGPU Metadata");
  return YamlParser(body).parse();
}

// ".amdhsa_kernel NAME ... .end_amdhsa_kernel" blocks -> NAME -> directive -> value.
// Comment lines of llvm-objdump ("; SHARED_VGPR_COUNT 0") are returned as "; NAME".
using Directives = std::map<std::string, std::map<std::string, long long>>;
inline Directives amdhsa_directives(const std::string& text) {
  Directives out;
  std::string cur;
  for (const std::string& raw : lines(text)) {
    std::string l = trim(raw);
    if (l.rfind(".amdhsa_kernel ", 0) == 0) {
      cur = trim(l.substr(15));
      out[cur];
      continue;
    }
    if (l == ".end_amdhsa_kernel") {
      cur.clear();
      continue;
    }
    if (cur.empty()) continue;
    std::istringstream in(l);
    std::string name, value;
    if (l[0] == ';') {
      std::string semi;
      in >> semi >> name >> value;
      name = "; " + name;
    } else {
      in >> name >> value;
    }
    if (name.empty() || value.empty()) continue;
    out[cur][name] = std::stoll(value, nullptr, 0);
  }
  return out;
}

}  // namespace cotest
