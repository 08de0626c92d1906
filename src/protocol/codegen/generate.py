#!/usr/bin/env python3
"""Samsa's protocol code generator: schema files (src/protocol/schema/*.schema) -> C++ structs.

For each API it emits one header and one source file into the build directory with a request and a response
struct, each able to `decode(reader&, version)`, `encode(writer&, version)` and `size(version)`, plus the API
table (key, name, version range, first flexible version), a key/version dispatcher and test helpers
(random message generation). Standard library only. The schema language is documented in docs/protocol.md.
"""
import os
import re
import sys
from dataclasses import dataclass, field as dc_field
from typing import List, Optional, Tuple

INF = 1 << 15

PRIMITIVES = {
    # schema type: (C++ type, fixed wire size or None)
    'bool': ('bool', 1), 'int8': ('int8_t', 1), 'int16': ('int16_t', 2), 'uint16': ('uint16_t', 2),
    'int32': ('int32_t', 4), 'uint32': ('uint32_t', 4), 'int64': ('int64_t', 8), 'float64': ('double', 8),
    'uuid': ('uuid', 16), 'string': ('std::string', None), 'bytes': ('bytes', None),
    'records': ('records_view', None),
}
INT_TYPES = {'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64'}
# (schema type, entity) -> the strong type the generated field has (include/samsa/base/ids.h).
STRONG_ENTITIES = {
    ('int32', 'broker_id'): '::samsa::broker_id',
    ('int32', 'leader_epoch'): '::samsa::leader_epoch',
    ('int32', 'partition_index'): '::samsa::partition_index',
}


class SchemaError(Exception):
    pass


@dataclass
class VersionRange:
    lo: int
    hi: int  # inclusive; INF for "N+"

    @staticmethod
    def parse(text: str, where: str) -> 'VersionRange':
        if text == 'none':
            return VersionRange(1, 0)
        m = re.fullmatch(r'(\d+)\+', text)
        if m:
            return VersionRange(int(m.group(1)), INF)
        m = re.fullmatch(r'(\d+)-(\d+)', text)
        if m:
            return VersionRange(int(m.group(1)), int(m.group(2)))
        m = re.fullmatch(r'(\d+)', text)
        if m:
            return VersionRange(int(m.group(1)), int(m.group(1)))
        raise SchemaError(f'{where}: bad version range {text!r}')

    def empty(self) -> bool:
        return self.lo > self.hi

    def intersect(self, o: 'VersionRange') -> 'VersionRange':
        return VersionRange(max(self.lo, o.lo), min(self.hi, o.hi))

    def contains(self, v: int) -> bool:
        return self.lo <= v <= self.hi

    def cond(self, var: str = 'version', within: Optional['VersionRange'] = None) -> str:
        """C++ condition for `var` in this range; `within` is the range the caller already knows holds."""
        if self.empty():
            return 'false'
        parts = []
        if self.lo > 0 and not (within and within.lo >= self.lo):
            parts.append(f'{var} >= {self.lo}')
        if self.hi != INF and not (within and within.hi <= self.hi):
            parts.append(f'{var} <= {self.hi}')
        return ' && '.join(parts) if parts else 'true'


@dataclass
class Field:
    name: str
    type: str                 # schema type, e.g. int32, []int32, []Topic, Topic
    versions: VersionRange
    nullable: VersionRange
    tag: Optional[int]
    tagged: VersionRange
    default: Optional[str]
    children: List['Field'] = dc_field(default_factory=list)
    entity: Optional[str] = None

    @property
    def wrapper(self) -> Optional[str]:
        """The C++ type that carries this integer field's meaning, when there is one: Kafka error codes are
        protocol::kafka_errc, and the entities below are strong types (samsa/base/ids.h), so that an id, an epoch
        and an error cannot be mixed up at the modules' boundaries."""
        if self.elem == 'int16' and self.name == 'error_code':
            return '::samsa::protocol::kafka_errc'
        return STRONG_ENTITIES.get((self.elem, self.entity))

    @property
    def is_array(self) -> bool:
        return self.type.startswith('[]')

    @property
    def elem(self) -> str:
        return self.type[2:] if self.is_array else self.type

    @property
    def is_struct(self) -> bool:
        return self.elem not in PRIMITIVES

    @property
    def optional(self) -> bool:
        return not self.nullable.empty()


@dataclass
class Message:
    name: str                  # e.g. FetchRequest
    fields: List[Field]


@dataclass
class Api:
    name: str
    key: int
    versions: VersionRange
    flexible: VersionRange
    request: Message            # a metadata record's one message
    response: Optional[Message]  # None for a metadata record
    file_stem: str
    kind: str = 'api'           # 'api' (request + response) or 'record' (a metadata record, schema/metadata/)

    @property
    def subdir(self) -> str:
        return 'messages' if self.kind == 'api' else 'metadata'


def snake(name: str) -> str:
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', name)
    return re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', s).lower()


def parse_schema(path: str) -> Api:
    header = {}
    sections = {}
    current = None
    stack: List[Tuple[int, Field]] = []
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            where = f'{path}:{lineno}'
            line = raw.split('#', 1)[0].rstrip()
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(' '))
            tokens = line.split()
            if indent == 0:
                if tokens[0] in ('request', 'response', 'fields'):
                    current = sections.setdefault(tokens[0], [])
                    stack = []
                elif tokens[0] in ('api', 'record'):
                    header['kind'] = tokens[0]
                    header['name'], header['key'] = tokens[1], int(tokens[2])
                elif tokens[0] in ('versions', 'flexible'):
                    header[tokens[0]] = VersionRange.parse(tokens[1], where)
                else:
                    raise SchemaError(f'{where}: unknown directive {tokens[0]!r}')
                continue
            if current is None or indent % 2:
                raise SchemaError(f'{where}: field outside a section or odd indentation')
            level = indent // 2
            if len(tokens) < 3:
                raise SchemaError(f'{where}: expected "name type versions [attributes]"')
            name, ftype, versions = tokens[:3]
            attrs = tokens[3:]
            if len(attrs) % 2:
                raise SchemaError(f'{where}: attributes come in "key value" pairs')
            fld = Field(name=name, type=ftype, versions=VersionRange.parse(versions, where),
                        nullable=VersionRange(1, 0), tag=None, tagged=VersionRange(1, 0), default=None)
            tagged_text = None
            for k, v in zip(attrs[::2], attrs[1::2]):
                if k == 'nullable':
                    fld.nullable = VersionRange.parse(v, where)
                elif k == 'tag':
                    fld.tag = int(v)
                elif k == 'tagged':
                    tagged_text = v
                elif k == 'default':
                    fld.default = v
                elif k == 'entity':
                    fld.entity = v
                else:
                    raise SchemaError(f'{where}: unknown attribute {k!r}')
            if fld.tag is not None:
                fld.tagged = VersionRange.parse(tagged_text, where) if tagged_text else fld.versions
            while stack and stack[-1][0] >= level:
                stack.pop()
            if level == 1:
                current.append(fld)
            else:
                if not stack or stack[-1][0] != level - 1:
                    raise SchemaError(f'{where}: indentation jumps a level')
                parent = stack[-1][1]
                if not parent.is_struct:
                    raise SchemaError(f'{where}: {parent.name} is not a struct')
                parent.children.append(fld)
            stack.append((level, fld))
    for k in ('name', 'key', 'versions', 'flexible'):
        if k not in header:
            raise SchemaError(f'{path}: missing "{k}"')
    stem = os.path.splitext(os.path.basename(path))[0]
    if header.get('kind') == 'record':
        if set(sections) != {'fields'}:
            raise SchemaError(f'{path}: a record has one "fields" section')
        return Api(header['name'], header['key'], header['versions'], header['flexible'],
                   Message(header['name'], sections['fields']), None, stem, 'record')
    for s in ('request', 'response'):
        if s not in sections:
            raise SchemaError(f'{path}: missing "{s}" section')
    return Api(header['name'], header['key'], header['versions'], header['flexible'],
               Message(header['name'] + 'Request', sections['request']),
               Message(header['name'] + 'Response', sections['response']), stem)


class Gen:
    """Emits the C++ for one API."""

    def __init__(self, api: Api):
        self.api = api
        self.flex = api.flexible.intersect(api.versions)
        self.has_flex = not self.flex.empty()
        self.h: List[str] = []
        self.cc: List[str] = []
        self.t: List[str] = []   # test support

    # ---- types -------------------------------------------------------------------------------------
    def elem_cpp(self, f: Field, scope: str) -> str:
        if f.is_struct:
            return f'{scope}::{f.elem}' if scope else f.elem
        return f.wrapper or PRIMITIVES[f.elem][0]

    def cpp_type(self, f: Field, scope: str = '') -> str:
        e = self.elem_cpp(f, scope)
        t = f'std::vector<{e}>' if f.is_array else e
        return f'std::optional<{t}>' if f.optional else t

    def default_expr(self, f: Field) -> str:
        d = f.default
        if f.optional and (d is None or d == 'null'):
            return '{}'
        if f.is_array or f.is_struct:
            return '{}'
        if f.elem in INT_TYPES:
            if d is None and not f.wrapper:
                return '0'
            val = int(d, 0) if d is not None else 0
            return f'static_cast<{f.wrapper or PRIMITIVES[f.elem][0]}>({val}{"LL" if f.elem == "int64" else ""})'
        if f.elem == 'bool':
            return 'true' if (d or '').lower() == 'true' else 'false'
        if f.elem == 'float64':
            return str(float(d)) if d else '0.0'
        if f.elem == 'string':
            if d is None or d == '""':
                return '{}'
            return f'"{d}"'
        return '{}'

    # ---- declarations ------------------------------------------------------------------------------
    def declare_struct(self, name: str, fields: List[Field], indent: str, top: Optional[str]):
        o = self.h
        o.append(f'{indent}struct {name} {{')
        if top == 'record':
            o.append(f'{indent}  static constexpr int16_t record_type = {self.api.key};')
            o.append(f'{indent}  static constexpr int16_t min_version = {self.api.versions.lo};')
            o.append(f'{indent}  static constexpr int16_t max_version = {self.api.versions.hi};')
            fl = self.flex.lo if self.has_flex else -1
            o.append(f'{indent}  static constexpr int16_t first_flexible_version = {fl};')
            o.append(f'{indent}  static constexpr std::string_view record_name = "{self.api.name}";')
        if top == 'request' or top == 'response':
            o.append(f'{indent}  static constexpr int16_t api_key = {self.api.key};')
            o.append(f'{indent}  static constexpr int16_t min_version = {self.api.versions.lo};')
            o.append(f'{indent}  static constexpr int16_t max_version = {self.api.versions.hi};')
            fl = self.flex.lo if self.has_flex else -1
            o.append(f'{indent}  static constexpr int16_t first_flexible_version = {fl};')
            o.append(f'{indent}  static constexpr std::string_view api_name = "{self.api.name}";')
        defined = set()
        for f in fields:
            if f.is_struct and f.elem not in defined:
                defined.add(f.elem)
                self.declare_struct(f.elem, f.children, indent + '  ', None)
        for f in fields:
            o.append(f'{indent}  {self.cpp_type(f)} {f.name}{{{self.default_expr(f) if self.default_expr(f) != "{}" else ""}}};')
        if self.has_flex:
            o.append(f'{indent}  std::vector<tagged_field> unknown_tagged_fields;')
        o.append('')
        o.append(f'{indent}  // Decodes into a default-constructed object; errors are reported through the reader.')
        o.append(f'{indent}  void decode(reader& r, int16_t version);')
        o.append(f'{indent}  void encode(writer& w, int16_t version) const;')
        o.append(f'{indent}  size_t size(int16_t version) const;')
        o.append(f'{indent}  static size_t min_size(int16_t version);')
        o.append(f'{indent}  bool operator==(const {name}&) const = default;')
        o.append(f'{indent}}};')

    # ---- per-field code ----------------------------------------------------------------------------
    def is_tagged_cond(self, f: Field) -> str:
        if f.tag is None:
            return 'false'
        return f'flex && ({f.tagged.intersect(f.versions).cond()})'

    def gen_struct_methods(self, qual: str, fields: List[Field]):
        defined = set()
        for f in fields:
            if f.is_struct and f.elem not in defined:
                defined.add(f.elem)
                self.gen_struct_methods(f'{qual}::{f.elem}', f.children)
        c = self.cc
        flex_init = f'const bool flex = {self.flex.cond()};' if self.has_flex else 'constexpr bool flex = false;'
        tagged = sorted([f for f in fields if f.tag is not None], key=lambda f: f.tag)

        # decode
        c.append(f'void {qual}::decode(reader& r, int16_t version) {{')
        c.append(f'  {flex_init}')
        c.append('  (void)flex; (void)version;')
        for f in fields:
            cond = f.versions.cond()
            if f.tag is not None:
                cond = f'({cond}) && !({self.is_tagged_cond(f)})'
            c.append(f'  if ({cond}) {{')
            self.decode_value(f, f.name, '    ', 'flex')
            c.append('  }')
        if self.has_flex:
            c.append('  if (flex) {')
            c.append('    const uint32_t count = r.read_uvarint();')
            c.append('    for (uint32_t i = 0; i < count && r.ok(); ++i) {')
            c.append('      const uint32_t tag = r.read_uvarint();')
            c.append('      const uint32_t len = r.read_uvarint();')
            c.append('      auto body = r.read_raw(len);')
            c.append('      if (!r.ok()) break;')
            c.append('      switch (tag) {')
            for f in tagged:
                c.append(f'        case {f.tag}:')
                c.append(f'          if ({f.tagged.intersect(f.versions).cond()}) {{')
                c.append('            reader tr(body);')
                self.decode_value(f, f.name, '            ', 'true', rd='tr')
                c.append('            if (!tr.ok()) r.fail(static_cast<errc>(tr.error().value()));')
                c.append('            break;')
                c.append('          }')
                c.append('          [[fallthrough]];')
            c.append('        default:')
            c.append('          unknown_tagged_fields.push_back(tagged_field{tag, bytes(body.begin(), body.end())});')
            c.append('      }')
            c.append('    }')
            c.append('  }')
        c.append('}')
        c.append('')

        # size
        c.append(f'size_t {qual}::size(int16_t version) const {{')
        c.append(f'  {flex_init}')
        c.append('  (void)flex; (void)version;')
        c.append('  size_t n = 0;')
        for f in fields:
            cond = f.versions.cond()
            if f.tag is not None:
                cond = f'({cond}) && !({self.is_tagged_cond(f)})'
            c.append(f'  if ({cond}) {{')
            self.size_value(f, f.name, '    ', 'flex', 'n')
            c.append('  }')
        if self.has_flex:
            c.append('  if (flex) {')
            c.append('    uint32_t count = static_cast<uint32_t>(unknown_tagged_fields.size());')
            for f in tagged:
                c.append(f'    if (({f.tagged.intersect(f.versions).cond()}) && !({f.name} == {self.cpp_type(f)}{{{self.default_expr(f) if self.default_expr(f) != "{}" else ""}}})) {{')
                c.append('      size_t v = 0;')
                self.size_value(f, f.name, '      ', 'true', 'v')
                c.append(f'      n += varint::unsigned_size({f.tag}) + varint::unsigned_size(v) + v;')
                c.append('      ++count;')
                c.append('    }')
            c.append('    for (const auto& u : unknown_tagged_fields)')
            c.append('      n += varint::unsigned_size(u.tag) + varint::unsigned_size(u.data.size()) + u.data.size();')
            c.append('    n += varint::unsigned_size(count);')
            c.append('  }')
        c.append('  return n;')
        c.append('}')
        c.append('')

        # encode
        c.append(f'void {qual}::encode(writer& w, int16_t version) const {{')
        c.append(f'  {flex_init}')
        c.append('  (void)flex; (void)version;')
        for f in fields:
            cond = f.versions.cond()
            if f.tag is not None:
                cond = f'({cond}) && !({self.is_tagged_cond(f)})'
            c.append(f'  if ({cond}) {{')
            self.encode_value(f, f.name, '    ', 'flex')
            c.append('  }')
        if self.has_flex:
            c.append('  if (flex) {')
            c.append('    uint32_t count = static_cast<uint32_t>(unknown_tagged_fields.size());')
            for f in tagged:
                c.append(f'    const bool has_{f.name} = ({f.tagged.intersect(f.versions).cond()}) && !({f.name} == {self.cpp_type(f)}{{{self.default_expr(f) if self.default_expr(f) != "{}" else ""}}});')
                c.append(f'    if (has_{f.name}) ++count;')
            c.append('    w.write_uvarint(count);')
            c.append('    // Tags go out in ascending order, unknown ones merged in where they belong.')
            c.append('    size_t next_unknown = 0;')
            c.append('    auto flush_unknown_below = [&](uint64_t limit) {')
            c.append('      while (next_unknown < unknown_tagged_fields.size() && unknown_tagged_fields[next_unknown].tag < limit) {')
            c.append('        const auto& u = unknown_tagged_fields[next_unknown++];')
            c.append('        w.write_uvarint(u.tag);')
            c.append('        w.write_uvarint(static_cast<uint32_t>(u.data.size()));')
            c.append('        w.write_raw(u.data.data(), u.data.size());')
            c.append('      }')
            c.append('    };')
            for f in tagged:
                c.append(f'    flush_unknown_below({f.tag});')
                c.append(f'    if (has_{f.name}) {{')
                c.append('      size_t v = 0;')
                self.size_value(f, f.name, '      ', 'true', 'v')
                c.append(f'      w.write_uvarint({f.tag});')
                c.append('      w.write_uvarint(static_cast<uint32_t>(v));')
                self.encode_value(f, f.name, '      ', 'true')
                c.append('    }')
            c.append('    flush_unknown_below(UINT64_MAX);')
            c.append('  }')
        c.append('}')
        c.append('')

        # min_size: a lower bound of the encoded size, used to bound array counts before allocating.
        c.append(f'size_t {qual}::min_size(int16_t version) {{')
        c.append(f'  {flex_init}')
        c.append('  (void)flex; (void)version;')
        c.append('  size_t n = flex ? 1 : 0;')
        for f in fields:
            cond = f.versions.cond()
            if f.tag is not None:
                cond = f'({cond}) && !({self.is_tagged_cond(f)})'
            c.append(f'  if ({cond}) n += {self.min_field_size(f)};')
        c.append('  return n;')
        c.append('}')
        c.append('')

    def min_field_size(self, f: Field) -> str:
        if f.is_array or f.elem in ('string', 'bytes', 'records'):
            if f.is_array or f.elem != 'string':
                return '(flex ? 1 : 4)'
            return '(flex ? 1 : 2)'
        if f.is_struct:
            return '1' if f.optional else f'{f.elem}::min_size(version)'
        return str(PRIMITIVES[f.elem][1])

    def nullable_cond(self, f: Field) -> str:
        return f.nullable.cond()

    def decode_value(self, f: Field, target: str, ind: str, flex: str, rd: str = 'r'):
        c = self.cc
        if f.is_array:
            etype = self.elem_cpp(f, '')
            minsz = self.elem_min_size(f)
            c.append(f'{ind}const int32_t count = {rd}.read_array_length({flex}, {minsz});')
            if f.optional:
                c.append(f'{ind}if (count < 0) {{ if (!({self.nullable_cond(f)})) {rd}.fail(errc::unexpected_null); }}')
                c.append(f'{ind}else {{')
                c.append(f'{ind}  auto& vec = {target}.emplace();')
            else:
                c.append(f'{ind}if (count < 0) {rd}.fail(errc::unexpected_null);')
                c.append(f'{ind}else {{')
                c.append(f'{ind}  auto& vec = {target};')
            c.append(f'{ind}  vec.reserve(static_cast<size_t>(count));')
            c.append(f'{ind}  for (int32_t i = 0; i < count && {rd}.ok(); ++i) {{')
            c.append(f'{ind}    {etype}& e = vec.emplace_back();')
            self.decode_scalar(f, 'e', ind + '    ', flex, rd, in_array=True)
            c.append(f'{ind}  }}')
            c.append(f'{ind}}}')
        else:
            self.decode_scalar(f, target, ind, flex, rd, in_array=False)

    def elem_min_size(self, f: Field) -> str:
        e = f.elem
        if e in PRIMITIVES:
            fixed = PRIMITIVES[e][1]
            return str(fixed) if fixed else '1'
        return f'{e}::min_size(version)'

    def decode_scalar(self, f: Field, target: str, ind: str, flex: str, rd: str, in_array: bool):
        c = self.cc
        e = f.elem
        opt = f.optional and not in_array
        if e in INT_TYPES and f.wrapper:
            c.append(f'{ind}{target} = static_cast<{f.wrapper}>({rd}.read_int<{PRIMITIVES[e][0]}>());')
        elif e in INT_TYPES:
            c.append(f'{ind}{target} = {rd}.read_int<{PRIMITIVES[e][0]}>();')
        elif e == 'bool':
            c.append(f'{ind}{target} = {rd}.read_bool();')
        elif e == 'float64':
            c.append(f'{ind}{target} = {rd}.read_float64();')
        elif e == 'uuid':
            c.append(f'{ind}{target} = {rd}.read_uuid();')
        elif e in ('string', 'bytes', 'records'):
            fn = 'read_string_length' if e == 'string' else 'read_bytes_length'
            c.append(f'{ind}{{')
            c.append(f'{ind}  const int32_t len = {rd}.{fn}({flex});')
            c.append(f'{ind}  if (len < 0) {{')
            if opt:
                c.append(f'{ind}    if (!({self.nullable_cond(f)})) {rd}.fail(errc::unexpected_null);')
            else:
                c.append(f'{ind}    {rd}.fail(errc::unexpected_null);')
            c.append(f'{ind}  }} else {{')
            c.append(f'{ind}    auto raw = {rd}.read_raw(static_cast<size_t>(len));')
            if e == 'string':
                val = 'std::string(reinterpret_cast<const char*>(raw.data()), raw.size())'
            elif e == 'bytes':
                val = 'bytes(raw.begin(), raw.end())'
            else:
                val = 'records_view{raw.data(), raw.size()}'
            c.append(f'{ind}    {target} = {val};')
            c.append(f'{ind}  }}')
            c.append(f'{ind}}}')
        else:  # struct
            if opt:
                c.append(f'{ind}if ({rd}.read_int<int8_t>() < 0) {{')
                c.append(f'{ind}  if (!({self.nullable_cond(f)})) {rd}.fail(errc::unexpected_null);')
                c.append(f'{ind}}} else {{')
                # emplace(T{}) rather than emplace(): clang evaluates the default-constructibility of a nested
                # struct before its default member initializers are parsed and caches "false".
                c.append(f'{ind}  {target}.emplace({f.elem}{{}}).decode({rd}, version);')
                c.append(f'{ind}}}')
            else:
                c.append(f'{ind}{target}.decode({rd}, version);')

    def size_value(self, f: Field, target: str, ind: str, flex: str, acc: str):
        c = self.cc
        if f.is_array:
            if f.optional:
                c.append(f'{ind}if (!{target}) {acc} += writer::bytes_length_size(-1, {flex});')
                c.append(f'{ind}else {{')
                c.append(f'{ind}  const auto& vec = *{target};')
            else:
                c.append(f'{ind}{{')
                c.append(f'{ind}  const auto& vec = {target};')
            c.append(f'{ind}  {acc} += writer::bytes_length_size(static_cast<int32_t>(vec.size()), {flex});')
            fixed = PRIMITIVES.get(f.elem, (None, None))[1]
            if fixed:
                c.append(f'{ind}  {acc} += vec.size() * {fixed};')
            else:
                c.append(f'{ind}  for (const auto& e : vec) {{')
                self.size_scalar(f, 'e', ind + '    ', flex, acc, in_array=True)
                c.append(f'{ind}  }}')
            c.append(f'{ind}}}')
        else:
            self.size_scalar(f, target, ind, flex, acc, in_array=False)

    def size_scalar(self, f: Field, target: str, ind: str, flex: str, acc: str, in_array: bool):
        c = self.cc
        e = f.elem
        opt = f.optional and not in_array
        if e in PRIMITIVES and PRIMITIVES[e][1]:
            c.append(f'{ind}{acc} += {PRIMITIVES[e][1]};')
        elif e in ('string', 'bytes', 'records'):
            lenfn = 'string_length_size' if e == 'string' else 'bytes_length_size'
            if opt:
                c.append(f'{ind}if (!{target}) {acc} += writer::{lenfn}(-1, {flex});')
                c.append(f'{ind}else {acc} += writer::{lenfn}(static_cast<int32_t>({target}->size()), {flex}) + {target}->size();')
            else:
                c.append(f'{ind}{acc} += writer::{lenfn}(static_cast<int32_t>({target}.size()), {flex}) + {target}.size();')
        else:
            if opt:
                c.append(f'{ind}{acc} += 1;')
                c.append(f'{ind}if ({target}) {acc} += {target}->size(version);')
            else:
                c.append(f'{ind}{acc} += {target}.size(version);')

    def encode_value(self, f: Field, target: str, ind: str, flex: str):
        c = self.cc
        if f.is_array:
            if f.optional:
                c.append(f'{ind}if (!{target} && ({self.nullable_cond(f)})) w.write_array_length(-1, {flex});')
                c.append(f'{ind}else if (!{target}) w.write_array_length(0, {flex});')
                c.append(f'{ind}else {{')
                c.append(f'{ind}  const auto& vec = *{target};')
            else:
                c.append(f'{ind}{{')
                c.append(f'{ind}  const auto& vec = {target};')
            c.append(f'{ind}  w.write_array_length(static_cast<int32_t>(vec.size()), {flex});')
            c.append(f'{ind}  for (const auto& e : vec) {{')
            self.encode_scalar(f, 'e', ind + '    ', flex, in_array=True)
            c.append(f'{ind}  }}')
            c.append(f'{ind}}}')
        else:
            self.encode_scalar(f, target, ind, flex, in_array=False)

    def encode_scalar(self, f: Field, target: str, ind: str, flex: str, in_array: bool):
        c = self.cc
        e = f.elem
        opt = f.optional and not in_array
        if e in INT_TYPES and f.wrapper:
            c.append(f'{ind}w.write_int<{PRIMITIVES[e][0]}>(static_cast<{PRIMITIVES[e][0]}>({target}));')
        elif e in INT_TYPES:
            c.append(f'{ind}w.write_int<{PRIMITIVES[e][0]}>({target});')
        elif e == 'bool':
            c.append(f'{ind}w.write_bool({target});')
        elif e == 'float64':
            c.append(f'{ind}w.write_float64({target});')
        elif e == 'uuid':
            c.append(f'{ind}w.write_uuid({target});')
        elif e in ('string', 'bytes', 'records'):
            lenfn = 'write_string_length' if e == 'string' else 'write_bytes_length'
            if opt:
                # Null goes out as null; outside the nullable versions the peer will reject it, as Kafka would.
                c.append(f'{ind}if (!{target}) w.{lenfn}(-1, {flex});')
                c.append(f'{ind}else {{ w.{lenfn}(static_cast<int32_t>({target}->size()), {flex}); w.write_raw({target}->data(), {target}->size()); }}')
            else:
                c.append(f'{ind}w.{lenfn}(static_cast<int32_t>({target}.size()), {flex});')
                c.append(f'{ind}w.write_raw({target}.data(), {target}.size());')
        else:
            if opt:
                c.append(f'{ind}if (!{target}) w.write_int<int8_t>(-1);')
                c.append(f'{ind}else {{ w.write_int<int8_t>(1); {target}->encode(w, version); }}')
            else:
                c.append(f'{ind}{target}.encode(w, version);')

    # ---- test support: random messages ------------------------------------------------------------
    def gen_randomizers(self, qual: str, fields: List[Field], out: List[str]):
        defined = set()
        for f in fields:
            if f.is_struct and f.elem not in defined:
                defined.add(f.elem)
                self.gen_randomizers(f'{qual}::{f.elem}', f.children, out)
        flex_init = f'const bool flex = {self.flex.cond()};' if self.has_flex else 'constexpr bool flex = false;'
        out.append(f'inline void randomize({qual}& m, int16_t version, random_source& rnd, int depth) {{')
        out.append(f'  {flex_init}')
        out.append('  (void)flex; (void)version; (void)rnd; (void)depth; (void)m;')
        for f in fields:
            cond = f.versions.cond()
            if f.tag is not None:
                # Tagged fields exist only in flexible versions.
                cond = f'({cond}) && (!({f.tagged.intersect(f.versions).cond()}) || flex)'
            out.append(f'  if ({cond}) {{')
            if f.tag is not None:
                out.append('    if (rnd.chance(3)) {')
            ind = '    ' if f.tag is None else '      '
            if f.optional:
                out.append(f'{ind}if (({f.nullable.cond()}) && rnd.chance(5)) m.{f.name}.reset(); else {{')
                tgt = f'm.{f.name}.emplace(typename std::decay_t<decltype(m.{f.name})>::value_type{{}})'
                out.append(f'{ind}  auto& x = {tgt};')
            else:
                out.append(f'{ind}{{ auto& x = m.{f.name};')
            if f.is_array:
                out.append(f'{ind}  const int n = depth > 3 ? 0 : static_cast<int>(rnd.below(4));')
                out.append(f'{ind}  for (int i = 0; i < n; ++i) {{ auto& e = x.emplace_back(); {self.rand_scalar(f, "e")} }}')
            else:
                out.append(f'{ind}  {self.rand_scalar(f, "x")}')
            out.append(f'{ind}}}')
            if f.tag is not None:
                out.append('    }')
            out.append('  }')
        if self.has_flex:
            out.append('  if (flex && rnd.chance(8)) m.unknown_tagged_fields.push_back(tagged_field{1000u + static_cast<uint32_t>(rnd.below(50)), rnd.some_bytes()});')
        out.append('}')
        out.append('')

    def rand_scalar(self, f: Field, t: str) -> str:
        e = f.elem
        if e in INT_TYPES and f.wrapper:
            return f'{t} = static_cast<{f.wrapper}>(static_cast<{PRIMITIVES[e][0]}>(rnd.next()));'
        if e in INT_TYPES:
            return f'{t} = static_cast<{PRIMITIVES[e][0]}>(rnd.next());'
        if e == 'bool':
            return f'{t} = rnd.chance(2);'
        if e == 'float64':
            return f'{t} = static_cast<double>(rnd.below(1000000)) / 7.0;'
        if e == 'uuid':
            return f'{t} = rnd.some_uuid();'
        if e == 'string':
            return f'{t} = rnd.some_string();'
        if e == 'bytes':
            return f'{t} = rnd.some_bytes();'
        if e == 'records':
            return f'{t} = rnd.some_records();'
        return f'randomize({t}, version, rnd, depth + 1);'

    # ---- files ------------------------------------------------------------------------------------
    def run(self, out_dir: str):
        api = self.api
        sub = api.subdir
        src = f'src/protocol/schema/{"metadata/" if api.kind == "record" else ""}{api.file_stem}.schema'
        guard = f'samsa/protocol/{sub}/{api.file_stem}.h'
        self.h += [f'// Generated by src/protocol/codegen/generate.py from {src}. Do not edit.',
                   '#pragma once', '#include <cstdint>', '#include <optional>', '#include <string>',
                   '#include <string_view>', '#include <vector>', '#include "samsa/base/ids.h"',
                   '#include "samsa/protocol/kafka_error.h"', '#include "samsa/protocol/wire.h"', '',
                   'namespace samsa::protocol {', '']
        messages = [api.request] + ([api.response] if api.response else [])
        for i, m in enumerate(messages):
            if i:
                self.h.append('')
            self.declare_struct(m.name, m.fields, '', 'record' if api.kind == 'record' else ('request', 'response')[i])
        self.h += ['', '}  // namespace samsa::protocol', '']
        self.cc += [f'// Generated from {src}. Do not edit.',
                    f'#include "{guard}"', '', 'namespace samsa::protocol {', '']
        for m in messages:
            self.gen_struct_methods(m.name, m.fields)
        self.cc += ['}  // namespace samsa::protocol', '']
        t = [f'// Generated test support for {api.name}. Do not edit.', '#pragma once',
             f'#include "{guard}"', '#include "samsa/protocol/testing/random_source.h"', '',
             'namespace samsa::protocol::testing {', '']
        for m in messages:
            self.gen_randomizers(m.name, m.fields, t)
        t += ['}  // namespace samsa::protocol::testing', '']
        write_if_changed(os.path.join(out_dir, 'samsa/protocol', sub, api.file_stem + '.h'), self.h)
        write_if_changed(os.path.join(out_dir, 'samsa/protocol', sub, api.file_stem + '.cc'), self.cc)
        write_if_changed(os.path.join(out_dir, 'samsa/protocol', sub, 'testing', api.file_stem + '.h'), t)


from indexes import gen_index, gen_record_index, write_if_changed  # noqa: E402  (the index files)


def main():
    if len(sys.argv) != 3:
        print('usage: generate.py <schema dir> <output dir>', file=sys.stderr)
        return 2
    schema_dir, out_dir = sys.argv[1], sys.argv[2]
    apis, records = [], []
    try:
        for fn in sorted(os.listdir(schema_dir)):
            if fn.endswith('.schema'):
                apis.append(parse_schema(os.path.join(schema_dir, fn)))
        meta_dir = os.path.join(schema_dir, 'metadata')
        for fn in sorted(os.listdir(meta_dir)) if os.path.isdir(meta_dir) else []:
            if fn.endswith('.schema'):
                records.append(parse_schema(os.path.join(meta_dir, fn)))
    except SchemaError as e:
        print(f'generate.py: {e}', file=sys.stderr)
        return 1
    if any(a.kind != 'api' for a in apis) or any(r.kind != 'record' for r in records):
        print('generate.py: APIs go in schema/, metadata records in schema/metadata/', file=sys.stderr)
        return 1
    for group, what in ((apis, 'api key'), (records, 'record type')):
        keys = [a.key for a in group]
        if len(keys) != len(set(keys)):
            print(f'generate.py: duplicate {what}', file=sys.stderr)
            return 1
    for a in apis + records:
        Gen(a).run(out_dir)
    gen_index(apis, out_dir, lambda a: Gen(a).flex)
    gen_record_index(records, out_dir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
