// Fuzzes record-batch parsing: header checks, CRC, record iteration (through decompression for compressed
// batches, bounded output) and the splitter over concatenated batches.
#include <vector>

#include "samsa/records/compression.h"
#include "samsa/records/record_batch.h"

using namespace samsa::records;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  std::vector<uint8_t> scratch;
  while (!in.empty()) {
    auto batch = batch_view::parse(in);
    if (!batch) break;
    (void)batch->verify_crc();
    (void)batch->validate();
    size_t seen = 0;
    (void)for_each_record(*batch, scratch, 1u << 20, [&](const record_view& rec) {
      seen += rec.key ? rec.key->size() : 0;
      return std::error_code{};
    });
    in = in.subspan(batch->size_bytes());
  }
  return 0;
}
