#pragma once
// Binary encodings of raft values, shared by the TCP transport (one message per frame) and the on-disk log
// (entries, hard state, snapshot). Big-endian, fixed-width integers, u32-length-prefixed byte strings; a leading
// version byte on messages. Decoding is bounds-checked and fails with errc::corrupt, never reads past the input.
#include <cstdint>
#include <string>
#include <string_view>

#include "samsa/base/result.h"
#include "samsa/raft/types.h"

namespace samsa::raft::codec {

std::string encode(const message& m);
result<message> decode_message(std::string_view bytes);

void append_entry(std::string& out, const entry& e);
// Decodes one entry at `pos`, advancing it.
result<entry> read_entry(std::string_view bytes, size_t& pos);

std::string encode(const hard_state& hs);
result<hard_state> decode_hard_state(std::string_view bytes);
std::string encode(const snapshot& s);
result<snapshot> decode_snapshot(std::string_view bytes);

}  // namespace samsa::raft::codec
