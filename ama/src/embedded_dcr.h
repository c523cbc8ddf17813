#ifndef AMAHOST_AMA_EMBEDDED_DCR_H_
#define AMAHOST_AMA_EMBEDDED_DCR_H_

#include <string_view>

namespace ama {

// ama/data/changetracking-linux.json, compiled in: an AMCS configurations response holding one
// ChangeTracking-Linux DCR whose ODS channel is mockcloud on https://127.0.0.1:7443.
extern const std::string_view kEmbeddedDcr;

}  // namespace ama

#endif  // AMAHOST_AMA_EMBEDDED_DCR_H_
