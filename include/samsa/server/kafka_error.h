#pragma once
// The serving path's name for Kafka's error codes (one list, in samsa/protocol/kafka_error.h).
#include "samsa/protocol/kafka_error.h"

namespace samsa::server {
namespace kafka_error = protocol::kafka_error;
}  // namespace samsa::server
