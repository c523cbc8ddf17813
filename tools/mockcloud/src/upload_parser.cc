#include "mockcloud/upload_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "codec/compression.h"
#include "codec/json_text.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"
#include "rapidjson/writer.h"

namespace mockcloud {
namespace {

bool Fail(UploadError* error, int status, std::string code, std::string message) {
  *error = UploadError{status, std::move(code), std::move(message)};
  return false;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool CheckContentType(const Request& request, UploadError* error) {
  const std::string* type = request.FindHeader("Content-Type");
  if (type == nullptr) {
    return Fail(error, 400, "MissingContentType", "no Content-Type header; send application/json");
  }
  std::string media = Lower(Trim(std::string_view(*type).substr(0, type->find(';'))));
  if (media != "application/json") {
    return Fail(error, 400, "UnsupportedContentType",
                fmt::format("Content-Type is {}; send application/json", codec::JsonString(*type)));
  }
  return true;
}

// The body after undoing Content-Encoding, which must be `allowed` or none, into `body`.
bool DecodeBody(const Request& request, std::string_view allowed_name, codec::Compression allowed,
                std::size_t max_output, std::string* body, UploadError* error) {
  std::vector<std::string> encodings = request.FindHeaders("Content-Encoding");
  std::string encoding = encodings.size() == 1 ? Lower(Trim(encodings.front())) : "";
  if (encodings.size() > 1 ||
      (!encoding.empty() && encoding != "identity" && encoding != allowed_name)) {
    return Fail(error, 400, "UnsupportedContentEncoding",
                fmt::format("Content-Encoding {} is not accepted here; send {} or none",
                            codec::JsonString(encodings.size() == 1 ? encodings.front()
                                                                    : std::string("(several)")),
                            allowed_name));
  }
  if (encoding != allowed_name) {
    if (request.body.size() > max_output) {
      return Fail(error, 413, "PayloadTooLarge",
                  fmt::format("body of {} bytes is over the limit of {} bytes", request.body.size(),
                              max_output));
    }
    // A copy even so: the JSON is read in place, which writes into the buffer.
    body->assign(request.body);
    return true;
  }
  std::string message;
  codec::DecompressResult result =
      codec::Decompress(request.body, allowed, max_output, body, &message);
  if (result == codec::DecompressResult::kTooLarge)
    return Fail(error, 413, "PayloadTooLarge", message);
  if (result != codec::DecompressResult::kOk) {
    return Fail(error, 400, "InvalidContentEncoding",
                fmt::format("Content-Encoding {}: {}", allowed_name, message));
  }
  return true;
}

// What the scan found for one of the ODS names (DataType, IPName): its first value.
struct NameValue {
  enum class State { kMissing, kString, kNotString } state = State::kMissing;
  std::string value;
};

// ODS names: what AMA sends (CONFIG_CHANGE_BLOB_V2, ChangeTracking, LogManagement).
std::optional<std::string> CheckName(const NameValue& name, const char* key) {
  if (name.state == NameValue::State::kMissing) return fmt::format("\"{}\" is missing", key);
  if (name.state == NameValue::State::kNotString) {
    return fmt::format("\"{}\" must be a string", key);
  }
  std::string_view value = name.value;
  if (value.empty()) return fmt::format("\"{}\" is empty", key);
  if (value.size() > 256) return fmt::format("\"{}\" is longer than 256 characters", key);
  if (value.find(':') != std::string_view::npos) {
    return fmt::format(
        "\"{}\" {} contains ':'; send the bare name (a DATATYPE such as "
        "CONFIG_CHANGE_BLOB_V2), not a stream id",
        key, codec::JsonString(value));
  }
  for (char c : value) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      return fmt::format("\"{}\" {} may only hold letters, digits, '_', '.' and '-'", key,
                         codec::JsonString(value));
    }
  }
  return std::nullopt;
}

// rapidjson's output stream over a std::string that it writes through a cursor: the string is
// grown ahead of the writes (zero-filled, then overwritten) and cut to what was written by
// Finish(). Writing char by char with push_back took a third of the time of keeping an upload.
class AppendStream {
 public:
  using Ch = char;
  explicit AppendStream(std::string* out) : out_(out), size_(out->size()) {}

  // Makes room for `count` more bytes.
  void Reserve(std::size_t count) {
    if (out_->size() - size_ < count) {
      out_->resize(std::max({size_ + count, out_->size() * 2, std::size_t{4096}}));
    }
  }
  // Writes one byte into room made by Reserve.
  void PutUnsafe(char c) { (*out_)[size_++] = c; }
  void Put(char c) {
    Reserve(1);
    PutUnsafe(c);
  }
  void Flush() {}
  // Bytes written so far.
  std::size_t size() const { return size_; }
  // Cuts the string to what was written.
  void Finish() { out_->resize(size_); }

 private:
  std::string* out_;
  std::size_t size_;
};

// Found by argument-dependent lookup from rapidjson::Writer, and preferred to its generic
// versions, which make a call per byte.
inline void PutReserve(AppendStream& stream, std::size_t count) { stream.Reserve(count); }
inline void PutUnsafe(AppendStream& stream, char c) { stream.PutUnsafe(c); }

// A SAX handler that checks the shape of an upload as it is read and counts its items; with
// kCapture it also writes each item out as compact JSON, the same text a DOM would give.
//
// Why not a DOM: building one for a 3 MB body and then serialising every item again took about
// twice as long as this single pass, and --discard needs no copy of anything. Every event is
// still seen, so the verdicts are those of a DOM parse with codec::ParseJson's rules: valid
// UTF-8 in every string (after unescaping), nesting bounded, and for a repeated key its first
// value is the one checked.
template <bool kCapture>
class UploadScanner {
 public:
  enum class Shape { kOds, kLogs };
  enum class RootKind { kNone, kObject, kArray, kOther };
  enum class ItemsState { kMissing, kArray, kNotArray };

  // `expected_bytes`: about how much text the items will take, to make room for it at once.
  UploadScanner(Shape shape, int max_depth, DataItems* items, std::size_t expected_bytes)
      : shape_(shape), max_depth_(max_depth), items_(items), stream_(&items->text) {
    if constexpr (kCapture) stream_.Reserve(expected_bytes);
  }
  ~UploadScanner() { stream_.Finish(); }

  bool Null() {
    return Scalar([this] { return writer_.Null(); });
  }
  bool Bool(bool b) {
    return Scalar([this, b] { return writer_.Bool(b); });
  }
  bool Int(int i) {
    return Scalar([this, i] { return writer_.Int(i); });
  }
  bool Uint(unsigned u) {
    return Scalar([this, u] { return writer_.Uint(u); });
  }
  bool Int64(std::int64_t i) {
    return Scalar([this, i] { return writer_.Int64(i); });
  }
  bool Uint64(std::uint64_t u) {
    return Scalar([this, u] { return writer_.Uint64(u); });
  }
  bool Double(double d) {
    return Scalar([this, d] { return writer_.Double(d); });
  }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // never asked for
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (!Utf8(text, length)) return false;
    if (capturing_) {
      if constexpr (kCapture) return writer_.String(text, length);
      return true;
    }
    Where where = Classify();
    if (where == Where::kMember) {
      if (NameValue* name = PendingName()) {
        name->state = NameValue::State::kString;
        name->value.assign(text, length);
        return true;
      }
    }
    Other(where, RootKind::kOther);
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    if (!Utf8(text, length)) return false;
    if (capturing_) {
      if constexpr (kCapture) return writer_.Key(text, length);
      return true;
    }
    pending_ = Pending::kOther;
    if (shape_ == Shape::kOds && depth_ == 1) {
      std::string_view key(text, length);
      // A repeated key: its first value is the one that counts, as with a DOM's FindMember.
      if (key == "DataType" && !seen_data_type_) {
        seen_data_type_ = true;
        pending_ = Pending::kDataType;
      } else if (key == "IPName" && !seen_ip_name_) {
        seen_ip_name_ = true;
        pending_ = Pending::kIpName;
      } else if (key == "DataItems" && !seen_data_items_) {
        seen_data_items_ = true;
        pending_ = Pending::kDataItems;
      }
    }
    return true;
  }
  bool StartObject() {
    if (capturing_) {
      if (!Enter()) return false;
      if constexpr (kCapture) return writer_.StartObject();
      return true;
    }
    Where where = Classify();
    if (!Enter()) return false;
    if (where == Where::kItem) {
      capturing_ = true;
      if constexpr (kCapture) {
        writer_.Reset(stream_);
        return writer_.StartObject();
      }
      return true;
    }
    Other(where, RootKind::kObject);
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (!capturing_) return true;
    if constexpr (kCapture) {
      if (!writer_.EndObject()) return false;
    }
    if (depth_ == items_depth_) {
      capturing_ = false;
      items_->EndItemAt(stream_.size());
    }
    return true;
  }
  bool StartArray() {
    if (capturing_) {
      if (!Enter()) return false;
      if constexpr (kCapture) return writer_.StartArray();
      return true;
    }
    Where where = Classify();
    if (!Enter()) return false;
    bool items_array = (where == Where::kRoot && shape_ == Shape::kLogs) ||
                       (where == Where::kMember && pending_ == Pending::kDataItems);
    if (items_array) {
      in_items_ = true;
      items_depth_ = depth_;
      if (where == Where::kRoot) root_ = RootKind::kArray;
      if (where == Where::kMember) items_state_ = ItemsState::kArray;
      return true;
    }
    Other(where, RootKind::kArray);
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    if (capturing_) {
      if constexpr (kCapture) return writer_.EndArray();
      return true;
    }
    if (in_items_ && depth_ == items_depth_ - 1) in_items_ = false;
    return true;
  }

  bool too_deep() const { return too_deep_; }
  bool bad_utf8() const { return bad_utf8_; }
  RootKind root() const { return root_; }
  const NameValue& data_type() const { return data_type_; }
  const NameValue& ip_name() const { return ip_name_; }
  ItemsState items_state() const { return items_state_; }
  // The index of the first element of the items array that is not an object.
  const std::optional<std::size_t>& first_non_object() const { return first_non_object_; }

 private:
  enum class Where { kRoot, kMember, kItem, kElsewhere };
  enum class Pending { kOther, kDataType, kIpName, kDataItems };

  // Where a value that starts now (outside a captured item) sits; counts the items' elements.
  Where Classify() {
    if (depth_ == 0) return Where::kRoot;
    if (in_items_ && depth_ == items_depth_) {
      current_element_ = element_index_++;
      return Where::kItem;
    }
    if (shape_ == Shape::kOds && depth_ == 1 && root_ == RootKind::kObject) return Where::kMember;
    return Where::kElsewhere;
  }
  // Notes a value that is neither a captured item, the items array nor a name's string: the
  // root of that `kind`, an element that is not an object, or a member of the wrong type.
  void Other(Where where, RootKind kind) {
    switch (where) {
      case Where::kRoot:
        root_ = kind;
        break;
      case Where::kItem:
        if (!first_non_object_) first_non_object_ = current_element_;
        break;
      case Where::kMember:
        if (NameValue* name = PendingName()) name->state = NameValue::State::kNotString;
        if (pending_ == Pending::kDataItems) items_state_ = ItemsState::kNotArray;
        break;
      case Where::kElsewhere:
        break;
    }
  }
  bool Enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }
  template <typename Write>
  bool Scalar(Write&& write) {
    if (capturing_) {
      if constexpr (kCapture) return write();
      return true;
    }
    Other(Classify(), RootKind::kOther);
    return true;
  }
  NameValue* PendingName() {
    if (pending_ == Pending::kDataType) return &data_type_;
    if (pending_ == Pending::kIpName) return &ip_name_;
    return nullptr;
  }
  bool Utf8(const char* text, rapidjson::SizeType length) {
    if (codec::IsValidUtf8(std::string_view(text, length))) return true;
    bad_utf8_ = true;
    return false;
  }

  const Shape shape_;
  const int max_depth_;
  DataItems* items_;
  AppendStream stream_;
  rapidjson::Writer<AppendStream> writer_;
  int depth_ = 0;  // containers open around the next event
  bool too_deep_ = false;
  bool bad_utf8_ = false;
  RootKind root_ = RootKind::kNone;
  Pending pending_ = Pending::kOther;  // what the value after the last key of the root is
  bool seen_data_type_ = false;
  bool seen_ip_name_ = false;
  bool seen_data_items_ = false;
  NameValue data_type_;
  NameValue ip_name_;
  ItemsState items_state_ = ItemsState::kMissing;
  bool in_items_ = false;   // inside the array whose elements are the items
  int items_depth_ = -1;    // depth_ inside that array
  bool capturing_ = false;  // inside an item (an object element of that array)
  std::size_t element_index_ = 0;
  std::size_t current_element_ = 0;
  std::optional<std::size_t> first_non_object_;
};

// Reads the JSON in `body` (modified in place) with `scanner`; false with the same messages as
// codec::ParseJson on a syntax error, a string that is not UTF-8 or nesting too deep.
template <typename Scanner>
bool Scan(std::string* body, int max_depth, Scanner* scanner, UploadError* error) {
  // The in-place stream stops at a NUL, so one inside the text would silently end the document;
  // valid JSON never holds one unescaped.
  if (const void* nul = std::memchr(body->data(), '\0', body->size()); nul != nullptr) {
    return Fail(error, 400, "InvalidDataFormat",
                fmt::format("body: invalid JSON at byte {}: NUL byte",
                            static_cast<const char*>(nul) - body->data()));
  }
  rapidjson::InsituStringStream stream(body->data());
  rapidjson::Reader reader;
  // Recursion is bounded by the scanner, which stops at max_depth before the parser goes deeper.
  // Encoding is checked by the scanner on every string, which also catches what rapidjson's
  // validation misses (an escaped lone surrogate).
  rapidjson::ParseResult result = reader.Parse<rapidjson::kParseInsituFlag>(stream, *scanner);
  if (!result.IsError()) return true;
  bool bad_utf8 = scanner->bad_utf8() ||
                  result.Code() == rapidjson::kParseErrorStringInvalidEncoding ||
                  result.Code() == rapidjson::kParseErrorStringUnicodeSurrogateInvalid;
  std::string message;
  if (bad_utf8) {
    message = fmt::format(
        "invalid JSON at byte {}: a string is not valid UTF-8 (a lone surrogate escape?)",
        result.Offset());
  } else if (scanner->too_deep()) {
    message =
        fmt::format("JSON nested deeper than {} levels (at byte {})", max_depth, result.Offset());
  } else {
    message = fmt::format("invalid JSON at byte {}: {}", result.Offset(),
                          rapidjson::GetParseError_En(result.Code()));
  }
  return Fail(error, 400, "InvalidDataFormat", "body: " + message);
}

template <bool kCapture>
bool CheckOds(std::string* body, const UploadLimits& limits, OdsUpload* out, UploadError* error) {
  using Scanner = UploadScanner<kCapture>;
  Scanner scanner(Scanner::Shape::kOds, limits.max_json_depth, &out->items, body->size());
  if (!Scan(body, limits.max_json_depth, &scanner, error)) return false;
  // In the order a DOM would have been checked, so that the first problem is the one named.
  if (scanner.root() != Scanner::RootKind::kObject) {
    return Fail(error, 400, "InvalidDataFormat",
                "body must be a JSON object with DataType, IPName and DataItems");
  }
  if (std::optional<std::string> problem = CheckName(scanner.data_type(), "DataType")) {
    return Fail(error, 400, "InvalidDataType", *problem);
  }
  if (std::optional<std::string> problem = CheckName(scanner.ip_name(), "IPName")) {
    return Fail(error, 400, "InvalidIPName", *problem);
  }
  if (scanner.items_state() == Scanner::ItemsState::kMissing) {
    return Fail(error, 400, "InvalidDataFormat", "\"DataItems\" is missing");
  }
  if (scanner.items_state() == Scanner::ItemsState::kNotArray) {
    return Fail(error, 400, "InvalidDataFormat", "\"DataItems\" must be an array of objects");
  }
  if (scanner.first_non_object()) {
    return Fail(error, 400, "InvalidDataFormat",
                fmt::format("DataItems[{}] is not a JSON object", *scanner.first_non_object()));
  }
  out->data_type = scanner.data_type().value;
  out->ip_name = scanner.ip_name().value;
  return true;
}

template <bool kCapture>
bool CheckLogs(std::string* body, const UploadLimits& limits, LogsUpload* out, UploadError* error) {
  using Scanner = UploadScanner<kCapture>;
  Scanner scanner(Scanner::Shape::kLogs, limits.max_json_depth, &out->items, body->size());
  if (!Scan(body, limits.max_json_depth, &scanner, error)) return false;
  if (scanner.root() != Scanner::RootKind::kArray) {
    return Fail(error, 400, "InvalidDataFormat", "body must be a JSON array of objects");
  }
  if (scanner.first_non_object()) {
    return Fail(error, 400, "InvalidDataFormat",
                fmt::format("body[{}] is not a JSON object", *scanner.first_non_object()));
  }
  return true;
}

}  // namespace

bool ParseOdsUpload(const Request& request, const UploadLimits& limits, OdsUpload* out,
                    UploadError* error, ItemCapture capture, std::string* scratch) {
  std::string local;
  std::string* body = scratch != nullptr ? scratch : &local;
  bool texts = capture == ItemCapture::kTexts;
  out->items.Clear(texts);
  if (!CheckContentType(request, error) ||
      !DecodeBody(request, "deflate", codec::Compression::kZlib, limits.max_ods_inflated, body,
                  error)) {
    return false;
  }
  out->json_bytes = body->size();
  return texts ? CheckOds<true>(body, limits, out, error)
               : CheckOds<false>(body, limits, out, error);
}

bool ParseLogsUpload(const Request& request, const UploadLimits& limits, LogsUpload* out,
                     UploadError* error, ItemCapture capture, std::string* scratch) {
  std::string local;
  std::string* body = scratch != nullptr ? scratch : &local;
  bool texts = capture == ItemCapture::kTexts;
  out->items.Clear(texts);
  if (request.body.size() > limits.max_logs_body) {
    return Fail(error, 413, "PayloadTooLarge",
                fmt::format("body of {} bytes is over the Logs Ingestion limit of {} bytes",
                            request.body.size(), limits.max_logs_body));
  }
  if (!CheckContentType(request, error) ||
      !DecodeBody(request, "gzip", codec::Compression::kGzip, limits.max_logs_body, body, error)) {
    return false;
  }
  out->json_bytes = body->size();
  return texts ? CheckLogs<true>(body, limits, out, error)
               : CheckLogs<false>(body, limits, out, error);
}

}  // namespace mockcloud
