// Fuzzes request decoding for every API key and version: header, then body. Anything that decodes must
// re-encode to a frame that decodes to an equal message (the codec agrees with itself on all it accepts). The same
// body is also decoded as the metadata record whose type equals the API key (src/protocol/schema/metadata), so the
// metadata log's decoders are fuzzed with the rest.
#include <cstdlib>

#include "samsa/protocol/header.h"
#include "samsa/protocol/messages/all.h"
#include "samsa/protocol/metadata/all.h"

using namespace samsa::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  reader r(std::span<const uint8_t>(data, size));
  auto header = decode_request_header(r);
  if (!header) return 0;
  std::span<const uint8_t> body(data + (size - r.remaining()), r.remaining());
  visit_api(header->api_key, [&]<typename Req, typename Resp>() {
    auto msg = decode_message<Req>(body, header->api_version);
    if (!msg) return;
    const auto encoded = encode_message(*msg, header->api_version);
    if (encoded.size() != msg->size(header->api_version)) std::abort();
    auto again = decode_message<Req>(encoded, header->api_version);
    if (!again || !(*again == *msg)) std::abort();
    // Responses share the codec; exercise their decoder on the same bytes too.
    (void)decode_message<Resp>(body, header->api_version);
  });
  visit_record(header->api_key, [&]<typename Record>() {
    auto rec = decode_message<Record>(body, header->api_version);
    if (!rec) return;
    auto again = decode_message<Record>(encode_message(*rec, header->api_version), header->api_version);
    if (!again || !(*again == *rec)) std::abort();
  });
  return 0;
}
