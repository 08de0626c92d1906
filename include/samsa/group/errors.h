#pragma once
// The group coordinator's name for Kafka's error codes (one list, in samsa/protocol/kafka_error.h).
#include "samsa/protocol/kafka_error.h"

namespace samsa::group {
namespace err = protocol::kafka_error;
using protocol::kafka_errc;
}  // namespace samsa::group
