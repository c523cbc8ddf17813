#ifndef AMAHOST_AMA_EMBEDDED_DCR_H_
#define AMAHOST_AMA_EMBEDDED_DCR_H_

#include <string_view>

namespace ama {

// The bundled DCRs, compiled in from ama/data/; each is an AMCS configurations response whose
// channels point at mockcloud on https://127.0.0.1:7443.
//
// ama/data/changetracking-linux.json: the ChangeTracking-Linux DCR, its three streams to ODS.
extern const std::string_view kEmbeddedDcr;
// ama/data/logs-ingestion-example.json: an example extension, LogsIngestion-Example, whose
// stream Custom-AppEvents_CL goes to a data collection endpoint through Logs Ingestion (gig).
extern const std::string_view kEmbeddedLogsDcr;

}  // namespace ama

#endif  // AMAHOST_AMA_EMBEDDED_DCR_H_
