"""The generator's index files: every API (messages/all.h: the API table, visit_api, for_each_api) and every
metadata record (metadata/all.h: visit_record, for_each_record_type), plus their test-support headers. Called by
generate.py, which parses the schema files."""
import os
from typing import List


def write_if_changed(path: str, lines: List[str]):
    text = '\n'.join(lines) + '\n'
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(path, 'w') as f:
        f.write(text)


def gen_index(apis, out_dir: str, flex_of):
    apis = sorted(apis, key=lambda a: a.key)
    h = ['// Generated: every API the codec speaks. Do not edit.', '#pragma once', '#include <array>',
         '#include <cstdint>', '#include <span>', '#include <string_view>', '#include <system_error>']
    h += [f'#include "samsa/protocol/messages/{a.file_stem}.h"' for a in apis]
    h += ['', 'namespace samsa::protocol {', '',
          'struct api_schema {',
          '  int16_t key;',
          '  std::string_view name;',
          '  int16_t min_version;',
          '  int16_t max_version;',
          '  int16_t first_flexible_version;  // -1: never flexible',
          '  bool is_flexible(int16_t v) const noexcept { return first_flexible_version >= 0 && v >= first_flexible_version; }',
          '};', '',
          f'inline constexpr std::array<api_schema, {len(apis)}> all_api_schemas{{{{']
    for a in apis:
        fl = flex_of(a).lo if not flex_of(a).empty() else -1
        h.append(f'    {{{a.key}, "{a.name}", {a.versions.lo}, {a.versions.hi}, {fl}}},')
    h += ['}};', '',
          '// The schema of an API key, or nullptr when the codec does not know it.',
          'const api_schema* find_api_schema(int16_t key) noexcept;', '',
          '// Calls f.template operator()<Request, Response>() for the API with this key; false if unknown.',
          'template <typename F>',
          'bool visit_api(int16_t key, F&& f) {',
          '  switch (key) {']
    for a in apis:
        h.append(f'    case {a.key}: f.template operator()<{a.request.name}, {a.response.name}>(); return true;')
    h += ['    default: return false;', '  }', '}', '',
          '// Calls f.template operator()<Request, Response>() for every API.',
          'template <typename F>',
          'void for_each_api(F&& f) {']
    for a in apis:
        h.append(f'  f.template operator()<{a.request.name}, {a.response.name}>();')
    h += ['}', '', '}  // namespace samsa::protocol', '']
    write_if_changed(os.path.join(out_dir, 'samsa/protocol/messages/all.h'), h)
    cc = ['// Generated. Do not edit.', '#include "samsa/protocol/messages/all.h"', '',
          'namespace samsa::protocol {', '',
          'const api_schema* find_api_schema(int16_t key) noexcept {',
          '  for (const auto& a : all_api_schemas)',
          '    if (a.key == key) return &a;',
          '  return nullptr;', '}', '', '}  // namespace samsa::protocol', '']
    write_if_changed(os.path.join(out_dir, 'samsa/protocol/messages/all.cc'), cc)
    t = ['// Generated test support. Do not edit.', '#pragma once']
    t += [f'#include "samsa/protocol/messages/testing/{a.file_stem}.h"' for a in apis]
    write_if_changed(os.path.join(out_dir, 'samsa/protocol/messages/testing/all.h'), t)


def gen_record_index(records, out_dir: str):
    records = sorted(records, key=lambda a: a.key)
    h = ['// Generated: every metadata record type (src/protocol/schema/metadata). Do not edit.', '#pragma once',
         '#include <cstdint>']
    h += [f'#include "samsa/protocol/metadata/{a.file_stem}.h"' for a in records]
    h += ['', 'namespace samsa::protocol {', '',
          '// Calls f.template operator()<Record>() for the record with this type; false if unknown.',
          'template <typename F>',
          'bool visit_record(int16_t type, F&& f) {',
          '  switch (type) {']
    for a in records:
        h.append(f'    case {a.key}: f.template operator()<{a.request.name}>(); return true;')
    h += ['    default: return false;', '  }', '}', '',
          '// Calls f.template operator()<Record>() for every record type.',
          'template <typename F>',
          'void for_each_record_type(F&& f) {']
    for a in records:
        h.append(f'  f.template operator()<{a.request.name}>();')
    h += ['}', '', '}  // namespace samsa::protocol', '']
    write_if_changed(os.path.join(out_dir, 'samsa/protocol/metadata/all.h'), h)
    t = ['// Generated test support. Do not edit.', '#pragma once']
    t += [f'#include "samsa/protocol/metadata/testing/{a.file_stem}.h"' for a in records]
    write_if_changed(os.path.join(out_dir, 'samsa/protocol/metadata/testing/all.h'), t)


