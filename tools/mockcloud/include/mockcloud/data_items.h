#ifndef AMAHOST_MOCKCLOUD_DATA_ITEMS_H_
#define AMAHOST_MOCKCLOUD_DATA_ITEMS_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace mockcloud {

// The DataItems of one upload: how many there are and, unless they were only counted
// (--discard), each one's compact JSON text. The texts lie back to back in one string, so that an
// upload of 10,000 items costs a few allocations rather than 10,000. Plain data; thread-compatible.
struct DataItems {
  std::size_t count = 0;
  // False when the items were counted but their texts not kept: `text` and `ends` are then empty.
  bool has_texts = true;
  std::string text;               // every item's text, back to back
  std::vector<std::size_t> ends;  // item i is text[ends[i-1] (0 for i = 0), ends[i])

  DataItems() = default;
  // Items with these texts.
  DataItems(std::initializer_list<std::string_view> texts) {
    for (std::string_view item : texts) Add(item);
  }

  // Appends one item with its text (has_texts must be true).
  void Add(std::string_view item) {
    text.append(item);
    EndItem();
  }
  // Marks the end of an item whose text was written at the end of `text` (or of one only
  // counted, when has_texts is false).
  void EndItem() { EndItemAt(text.size()); }
  // The same for an item whose text ends at `end` (a writer that grows `text` ahead of itself).
  void EndItemAt(std::size_t end) {
    ++count;
    if (has_texts) ends.push_back(end);
  }
  // Item i's text; i < count and has_texts.
  std::string_view Text(std::size_t i) const {
    std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(text).substr(begin, ends[i] - begin);
  }
  // Empties it, keeping the allocated memory; `keep_texts` sets has_texts.
  void Clear(bool keep_texts) {
    count = 0;
    has_texts = keep_texts;
    text.clear();
    ends.clear();
  }
};

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_DATA_ITEMS_H_
