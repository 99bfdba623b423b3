// Text from outside the tools (tensor names and paths from a GGUF file, error messages that quote
// them, the CPU's model name) made safe for every place it is printed: a terminal, Markdown, XML
// (lowbit-explore's SVG) and JSON.
//
// clean_text is applied once, where such text enters a report or reaches the terminal: it leaves
// valid UTF-8 with no control characters, so a name cannot move the cursor on a terminal or make
// the JSON invalid. The report writers then escape what each format gives a meaning to.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace lowbit::tools {

// Valid UTF-8 with every ill-formed sequence replaced by U+FFFD and every control character (C0,
// DEL, C1) by '?'.
inline std::string clean_text(const std::string& s) {
    std::string out;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto continuation = [&](std::size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
    for (std::size_t i = 0; i < s.size();) {
        const unsigned char c = byte(i);
        if (c < 0x80) {
            out += c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c);
            ++i;
            continue;
        }
        // The length of the sequence a lead byte starts, and the range its second byte must lie in
        // (which rules out overlong forms, surrogates and code points above U+10FFFF).
        std::size_t length = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) length = 2;
        else if (c >= 0xE0 && c <= 0xEF) length = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) length = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        bool valid = length > 0 && i + 1 < s.size() && byte(i + 1) >= lo && byte(i + 1) <= hi;
        for (std::size_t j = 2; valid && j < length; ++j) valid = continuation(i + j);
        if (!valid) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        const bool c1_control = c == 0xC2 && byte(i + 1) < 0xA0;  // U+0080 - U+009F
        out += c1_control ? std::string("?") : s.substr(i, length);
        i += length;
    }
    return out;
}

// Markdown: a table cell or a line of text shows its characters as they are. Everything Markdown
// or HTML inside it could read as syntax is escaped, the backslash too, so that no backslash in
// the text can swallow an escape.
inline std::string markdown_text(const std::string& s) {
    constexpr std::string_view special = "\\|`*_[]<>#!~&";
    std::string out;
    for (const char c : s) {
        if (special.find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

// XML character data or an attribute value; characters XML 1.0 forbids (C0 controls but tab,
// newline and carriage return) are left out.
inline std::string xml_text(const std::string& s) {
    std::string out;
    for (const char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else if (c == '"') out += "&quot;";
        else if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
    }
    return out;
}

// A JSON string; `s` must be valid UTF-8 (clean_text makes it so).
inline std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\', out += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
            out += buf;
        }
        else out += c;
    }
    return out + "\"";
}

}  // namespace lowbit::tools
