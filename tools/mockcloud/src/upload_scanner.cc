// ScanUpload: one SAX pass over an upload body, in place.

#include "upload_scanner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#include "codec/json_text.h"
#include "rapidjson/error/en.h"
#include "rapidjson/reader.h"
#include "rapidjson/writer.h"

namespace mockcloud {
namespace {

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
//
// One per body; thread-compatible. The strings it is handed must stay put until it returns
// (rapidjson's in-place parsing gives it pointers into the body).
template <bool kCapture>
class UploadScanner {
 public:
  using Shape = UploadKind;
  using RootKind = UploadShape::Root;
  using ItemsState = UploadShape::Items;

  // `expected_bytes`: about how much text the items will take, to make room for it at once.
  UploadScanner(Shape shape, int max_depth, DataItems* items, std::size_t expected_bytes,
                SchemaScan* schema)
      : shape_(shape),
        max_depth_(max_depth),
        items_(items),
        stream_(&items->text),
        schema_(schema) {
    if constexpr (kCapture) stream_.Reserve(expected_bytes);
  }
  ~UploadScanner() { stream_.Finish(); }

  bool Null() {
    return Scalar(JsonKind::kNull, [this] { return writer_.Null(); });
  }
  bool Bool(bool b) {
    return Scalar(JsonKind::kBool, [this, b] { return writer_.Bool(b); });
  }
  bool Int(int i) {
    return Scalar(JsonKind::kInt, [this, i] { return writer_.Int(i); });
  }
  bool Uint(unsigned u) {
    JsonKind kind = u <= static_cast<unsigned>(std::numeric_limits<int>::max()) ? JsonKind::kInt
                                                                                : JsonKind::kLong;
    return Scalar(kind, [this, u] { return writer_.Uint(u); });
  }
  bool Int64(std::int64_t i) {
    return Scalar(JsonKind::kLong, [this, i] { return writer_.Int64(i); });
  }
  bool Uint64(std::uint64_t u) {
    JsonKind kind = u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                        ? JsonKind::kLong
                        : JsonKind::kBigInteger;
    return Scalar(kind, [this, u] { return writer_.Uint64(u); });
  }
  bool Double(double d) {
    return Scalar(JsonKind::kReal, [this, d] { return writer_.Double(d); });
  }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // never asked for
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (!Utf8(text, length)) return false;
    if (capturing_) {
      if (checker_ != nullptr && depth_ == item_depth_) {
        checker_->Value(JsonKind::kString, std::string_view(text, length));
      }
      if constexpr (kCapture) return writer_.String(text, length);
      return true;
    }
    Where where = Classify();
    if (where == Where::kMember) {
      if (UploadShape::Name* name = PendingName()) {
        name->state = UploadShape::Name::State::kString;
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
      if (checker_ != nullptr && depth_ == item_depth_) {
        checker_->Field(std::string_view(text, length));
      }
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
      if (checker_ != nullptr && depth_ == item_depth_) checker_->Value(JsonKind::kObject);
      if (!Enter()) return false;
      if constexpr (kCapture) return writer_.StartObject();
      return true;
    }
    Where where = Classify();
    if (!Enter()) return false;
    if (where == Where::kItem) {
      capturing_ = true;
      if (checker_ != nullptr) checker_->BeginItem();
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
      if (checker_ != nullptr) checker_->EndItem();
      items_->EndItemAt(stream_.size());
    }
    return true;
  }
  bool StartArray() {
    if (capturing_) {
      if (checker_ != nullptr && depth_ == item_depth_) checker_->Value(JsonKind::kArray);
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
      item_depth_ = depth_ + 1;
      StartSchemaCheck();
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
  // What it found, once the whole body was read.
  void TakeShape(UploadShape* shape) {
    shape->root = root_;
    shape->data_type = std::move(data_type_);
    shape->ip_name = std::move(ip_name_);
    shape->items = items_state_;
    shape->first_non_object = first_non_object_;
  }

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
        if (UploadShape::Name* name = PendingName())
          name->state = UploadShape::Name::State::kNotString;
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
  // Once the items array begins: a checker for the table, if one is known by now.
  void StartSchemaCheck() {
    if (schema_ == nullptr || checker_ != nullptr) return;
    const TableSchema* table = schema_->table;
    if (shape_ == Shape::kOds && schema_->schemas != nullptr &&
        data_type_.state == UploadShape::Name::State::kString) {
      table = schema_->schemas->Find(data_type_.value);
    }
    if (table == nullptr) return;
    checker_ = &schema_->checker.emplace(*table);
  }
  template <typename Write>
  bool Scalar(JsonKind kind, Write&& write) {
    if (capturing_) {
      if (checker_ != nullptr && depth_ == item_depth_) checker_->Value(kind);
      if constexpr (kCapture) return write();
      return true;
    }
    Other(Classify(), RootKind::kOther);
    return true;
  }
  UploadShape::Name* PendingName() {
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
  UploadShape::Name data_type_;
  UploadShape::Name ip_name_;
  ItemsState items_state_ = ItemsState::kMissing;
  bool in_items_ = false;   // inside the array whose elements are the items
  int items_depth_ = -1;    // depth_ inside that array
  bool capturing_ = false;  // inside an item (an object element of that array)
  int item_depth_ = -1;     // depth_ inside an item: where its own members are read
  SchemaScan* schema_;
  SchemaChecker* checker_ = nullptr;  // set once the items array begins with a table known
  std::size_t element_index_ = 0;
  std::size_t current_element_ = 0;
  std::optional<std::size_t> first_non_object_;
};

// Reads the JSON in `body` (modified in place) with `scanner`; false with the same messages as
// codec::ParseJson on a syntax error, a string that is not UTF-8 or nesting too deep.
template <typename Scanner>
bool Scan(std::string* body, int max_depth, Scanner* scanner, std::string* error) {
  // The in-place stream stops at a NUL, so one inside the text would silently end the document;
  // valid JSON never holds one unescaped.
  if (const void* nul = std::memchr(body->data(), '\0', body->size()); nul != nullptr) {
    *error = fmt::format("invalid JSON at byte {}: NUL byte",
                         static_cast<const char*>(nul) - body->data());
    return false;
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
  if (bad_utf8) {
    *error = fmt::format(
        "invalid JSON at byte {}: a string is not valid UTF-8 (a lone surrogate escape?)",
        result.Offset());
  } else if (scanner->too_deep()) {
    *error =
        fmt::format("JSON nested deeper than {} levels (at byte {})", max_depth, result.Offset());
  } else {
    *error = fmt::format("invalid JSON at byte {}: {}", result.Offset(),
                         rapidjson::GetParseError_En(result.Code()));
  }
  return false;
}

template <bool kCapture>
bool ScanWith(UploadKind kind, std::string* body, int max_depth, DataItems* items,
              UploadShape* shape, std::string* error, SchemaScan* schema) {
  UploadScanner<kCapture> scanner(kind, max_depth, items, body->size(), schema);
  if (!Scan(body, max_depth, &scanner, error)) return false;
  scanner.TakeShape(shape);
  return true;
}

}  // namespace

bool ScanUpload(UploadKind kind, std::string* body, int max_depth, ItemCapture capture,
                DataItems* items, UploadShape* shape, std::string* error, SchemaScan* schema) {
  return capture == ItemCapture::kTexts
             ? ScanWith<true>(kind, body, max_depth, items, shape, error, schema)
             : ScanWith<false>(kind, body, max_depth, items, shape, error, schema);
}

}  // namespace mockcloud
