#include "operator/core/text_safety.h"

namespace aviary {
namespace {

bool isControl(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

}  // namespace

std::string truncateText(std::string_view text, std::size_t maxBytes) {
  if (text.size() <= maxBytes) return std::string(text);
  std::size_t cut = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";
}

std::string escapeControl(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (isControl(c)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string quoteForMessage(std::string_view text, std::size_t maxBytes) {
  return "\"" + escapeControl(truncateText(text, maxBytes)) + "\"";
}

std::string listForMessage(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool hasControlBytes(std::string_view text) {
  for (char ch : text) {
    if (isControl(static_cast<unsigned char>(ch))) return true;
  }
  return false;
}

}  // namespace aviary
