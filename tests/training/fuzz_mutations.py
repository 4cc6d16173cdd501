"""The mutation fuzzer's mutations: byte-level and structure-aware, drawn from one seeded
``random.Random``, so a case number and a seed give the same bytes on every machine.

Byte level: bit flips, interesting bytes, inserting, deleting and duplicating chunks,
splicing two seeds, truncation, BOMs, CRLF, NUL bytes, invalid UTF-8. Structure aware:
numbers swapped for boundary values (1e308, -0, 2**63, NaN written out, ...), deep nesting,
long strings, many repeats of a line or an element; JSON documents and TOML tables edited as
values (a key deleted, renamed, a value replaced by another type); the binary trace's header
length, column lengths and counts set to huge or negative values, and its body poked.
"""
from __future__ import annotations

import json
import random
import re
import struct
import tomllib

import tomli_w

__all__ = ["mutate", "BOUNDARY_NUMBERS"]

BOUNDARY_NUMBERS = [
    b"0", b"-0", b"-0.0", b"1", b"-1", b"2", b"1e308", b"-1e308", b"1e309", b"-1e309", b"1.7976931348623157e308",
    b"3.4028234663852886e38", b"3.4028235e38", b"3.5e38", b"-3.5e38", b"5e-324", b"1e-400", b"2.2250738585072014e-308",
    b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808", b"-9223372036854775809",
    b"18446744073709551615", b"18446744073709551616", b"1" + b"0" * 400, b"1" + b"0" * 5000, b"NaN", b"nan", b"-nan",
    b"Infinity", b"-Infinity", b"inf", b"+inf", b"1e999999999", b"0x10", b"0o7", b"0b1", b"1_000", b"+1", b".5",
    b"5.", b"01", b"1e", b"--1", b"1.0e+", b"4294967296", b"2147483648", b"65536", b"1000000", b"1000001",
    b"10000000", b"10000001", b"20000001", b"12500001", b"0.0000001", b"true", b"false", b"null", b'""', b"[]", b"{}",
    b"1979-05-27T07:32:00Z", b"07:32:00", "\u0661\u0662".encode(), "\uff11".encode(),
]
INTERESTING_BYTES = [0, 1, 0x7F, 0x80, 0xFF, 0xC0, 0xED, 0xF5, 9, 10, 13, 32, 34, 39, 44, 46, 58, 59, 61, 91, 92,
                     93, 123, 125, 35, 45, 43, 101]
INSERTS = [b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\r\n", b"\r", b"\n\n", b"\x80", b"\xc0\xaf",
           b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x80\xa8", b"\xc2\x85", b"\x0b", b"\x0c", b"\x1b[31m", b'"',
           b"\\", b"\\u0000", b"\\ud800", b",", b",,", b"[", b"]", b"{", b"}", b"[[", b"]]", b"=", b"'''", b'"""',
           b"\t", b"#", b"[render]\n", b"[[x]]\n", b"a.b.c = 1\n", b'x = "\xff"\n']
MAX_SMALL = 256 << 10   # bytes an input may grow to in the suite
MAX_BIG = 64 << 20      # and in the long run (the largest trace.json value read whole)
_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_STRING = re.compile(rb'"(?:[^"\\\n]|\\.)*"')


# ------------------------------------------------------------------ byte level
def _pos(rng: random.Random, data: bytearray) -> int:
    return rng.randrange(len(data) + 1)


def _chunk(rng: random.Random, data: bytearray) -> tuple[int, int]:
    if not data:
        return 0, 0
    a = rng.randrange(len(data))
    return a, min(len(data), a + rng.choice([1, 2, 4, 8, 16, 64, 256, 4096]))


def _bit_flip(rng, data, seeds, big):
    for _ in range(rng.choice([1, 1, 2, 4, 8])):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)


def _set_byte(rng, data, seeds, big):
    if data:
        data[rng.randrange(len(data))] = rng.choice(INTERESTING_BYTES)


def _insert(rng, data, seeds, big):
    at = _pos(rng, data)
    data[at:at] = rng.choice(INSERTS) if rng.random() < 0.7 else rng.randbytes(rng.randrange(1, 9))


def _delete(rng, data, seeds, big):
    a, b = _chunk(rng, data)
    del data[a:b]


def _duplicate(rng, data, seeds, big):
    a, b = _chunk(rng, data)
    times = rng.choice([1, 2, 10, 100] + ([1000, 20000] if big else []))
    piece = bytes(data[a:b]) * times
    if len(piece) > (4 << 20 if big else 1 << 18):
        piece = piece[:(4 << 20 if big else 1 << 18)]
    at = _pos(rng, data)
    data[at:at] = piece


def _splice(rng, data, seeds, big):
    other = rng.choice(seeds)
    a = _pos(rng, data)
    b = rng.randrange(len(other) + 1)
    data[a:] = other[b:]


def _truncate(rng, data, seeds, big):
    del data[_pos(rng, data):]


def _prefix(rng, data, seeds, big):
    data[0:0] = rng.choice([b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00", b" ",
                            b"\n", b"\x1a", b"SGD-ANIM TRACE\n\x00"])


def _crlf(rng, data, seeds, big):
    data[:] = data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n\r", b"\x85", b"\xe2\x80\xa8"]))


def _invalid_utf8(rng, data, seeds, big):
    at = _pos(rng, data)
    data[at:at] = rng.choice([b"\x80", b"\xc3", b"\xc0\x80", b"\xed\xbf\xbf", b"\xf8\x88\x80\x80\x80", b"\xfe"])


def _number(rng, data, seeds, big):
    found = list(_NUMBER.finditer(data))
    if found:
        m = rng.choice(found)
        data[m.start():m.end()] = rng.choice(BOUNDARY_NUMBERS)


def _nest(rng, data, seeds, big):
    depth = rng.choice([2, 33, 100, 999, 1001, 5000] + ([100_000] if big else []))
    found = list(_NUMBER.finditer(data))
    open_, close = rng.choice([(b"[", b"]"), (b"{", b"}"), (b"{a=", b"}"), (b'{"a":', b"}")])
    if found and rng.random() < 0.8:
        m = rng.choice(found)
        data[m.start():m.end()] = open_ * depth + m.group() + close * depth
    else:
        at = _pos(rng, data)
        data[at:at] = open_ * depth


def _long_string(rng, data, seeds, big):
    n = rng.choice([100, 1000, 70_000] + ([1 << 20, 5 << 20] if big else []))
    found = list(_STRING.finditer(data))
    fill = rng.choice([b"A", b"\\n", b"\\\\", b"\xc3\xa9", b",", b"\\u2028"])
    body = (fill * (n // len(fill) + 1))[:n]
    if found:
        m = rng.choice(found)
        data[m.start():m.end()] = b'"' + body + b'"'
    else:
        at = _pos(rng, data)
        data[at:at] = body


def _repeat_line(rng, data, seeds, big):
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    times = rng.choice([10, 1000] + ([100_000, 400_000] if big else []))
    times = max(1, min(times, (MAX_BIG if big else MAX_SMALL) // (len(lines[i]) + 1) + 1))  # no more than fits
    lines[i:i + 1] = [lines[i]] * times
    data[:] = b"\n".join(lines)


BYTE_LEVEL = [_bit_flip, _set_byte, _insert, _delete, _duplicate, _splice, _truncate, _prefix, _crlf,
              _invalid_utf8, _number, _number, _nest, _long_string, _repeat_line]


# ------------------------------------------------------------------ documents as values
def _paths(doc) -> list[tuple]:
    """Paths to values in a parsed document (keys and list indices), at most 2000 of them
    and the first 50 items of a list."""
    out, stack = [], [((), doc)]
    while stack and len(out) < 2000:
        path, node = stack.pop()
        if path:
            out.append(path)
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((path + (i,), node[i]) for i in range(min(len(node), 50)))
    return out


KNOWN_KEYS = ["schema_version", "config", "data", "steps", "final", "status", "versions", "n_steps", "x", "y",
              "a", "b", "loss", "indices", "pred", "residual", "epoch", "batch", "velocity_a", "state", "step",
              "lr", "epochs", "batch_size", "optimizer", "source", "n", "seed", "formats", "size", "fps", "columns",
              "length", "dtype", "name", "format_version", "traces", "each", "kind", "path", "__proto__", ""]


def _value(rng: random.Random, big: bool):
    pick = rng.randrange(14)
    if pick == 0:
        return rng.choice([1e308, -0.0, 5e-324, 3.5e38, -3.5e38, 3.4028234663852886e38, 1.7976931348623157e308])
    if pick == 1:
        return rng.choice([2**63, 2**63 - 1, -2**63, -2**63 - 1, 2**64, 10**400, 10_000_001, 20_000_001, -1, 0])
    if pick == 2:
        return rng.choice([float("nan"), float("inf"), float("-inf")])
    if pick == 3:
        return rng.choice([None, True, False])
    if pick == 4:
        return rng.choice(["", "x", "nan", "1e309", "sgd", "synthetic:n=10", "../../etc/passwd", "/dev/zero",
                           "\x00", "\u2028", "a\nb", "é" * 10])
    if pick == 5:
        return "A" * rng.choice([1000, 100_000] + ([20 << 20] if big else []))
    if pick == 6:
        v: object = 0
        for _ in range(rng.choice([10, 33, 900, 2000])):
            v = [v]
        return v
    if pick == 7:
        return [rng.choice([0, 1, 0.5, -1, [0], [0.5], "x"])] * rng.choice([3, 1000] + ([1_000_000] if big else []))
    if pick == 8:
        return {f"k{i}": i for i in range(rng.choice([3, 1000]))}
    if pick == 9:
        return []
    if pick == 10:
        return {}
    if pick == 11:
        return [[0, 1], [2]]
    if pick == 12:
        return rng.choice([1, 2, 3, 6, 100, 0.1, 1.5])
    return {"state": rng.choice(["diverged", "completed", "running"]), "step": rng.choice([0, 1, 4, -1, 2**63])}


def _edit(rng: random.Random, doc, big: bool) -> None:
    """Change the parsed document in place: one path deleted, renamed, replaced or repeated."""
    paths = _paths(doc)
    if not paths:
        return
    path = rng.choice(paths)
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    key = path[-1]
    op = rng.randrange(6)
    if op == 0:
        del parent[key]
    elif op == 1 and isinstance(parent, dict):
        parent[rng.choice(KNOWN_KEYS)] = parent.pop(key)
    elif op == 2 and isinstance(parent, list):
        parent.extend([parent[key]] * rng.choice([1, 5, 500]))
    elif op == 3:
        parent[key] = [parent[key]]
    else:
        parent[key] = _value(rng, big)


def _json_doc(rng, data, seeds, big):
    try:
        doc = json.loads(bytes(data))
    except (ValueError, RecursionError):
        return _number(rng, data, seeds, big)
    for _ in range(rng.choice([1, 1, 2, 3])):
        _edit(rng, doc, big)
    layout = rng.choice([dict(), dict(indent=1), dict(separators=(",", ":")), dict(indent=2, sort_keys=True)])
    try:
        text = json.dumps(doc, **{k: v for k, v in layout.items() if k != "indent"})  # C encoder
        if "indent" in layout and "[" * 8 not in text:  # (indented: the pure-Python encoder, slow when deep)
            text = json.dumps(doc, **layout)
        data[:] = text.encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        pass


def _toml_doc(rng, data, seeds, big):
    try:
        doc = tomllib.loads(bytes(data).decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return _number(rng, data, seeds, big)
    for _ in range(rng.choice([1, 1, 2])):
        _edit(rng, doc, big)
    try:
        data[:] = tomli_w.dumps(doc).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError, RecursionError):
        pass


def _binary_header(rng, data, seeds, big):
    """Edit the binary trace's JSON header, and write its length right (mostly) or not."""
    if len(data) < 24 or data[:16] != b"SGD-ANIM TRACE\n\x00":
        return _bit_flip(rng, data, seeds, big)
    (n,) = struct.unpack("<Q", data[16:24])
    try:
        header = json.loads(bytes(data[24:24 + n]))
    except (ValueError, RecursionError):
        return _bit_flip(rng, data, seeds, big)
    columns = header.get("columns") if isinstance(header, dict) else None
    if isinstance(columns, list) and columns and isinstance(columns[0], dict) and rng.random() < 0.6:
        col = columns[0] if not all(isinstance(c, dict) for c in columns) else rng.choice(columns)
        field = rng.choice(["length", "length", "dtype", "name"])
        col[field] = rng.choice({
            "length": [0, 1, -1, 2**31, 2**62, 2**63 - 1, 2**63, 2**64, 10**30, 1.5, True, "3", None, 12_500_002],
            "dtype": ["<f8", "<i8", ">f8", "|O", "<f4", "<U8", "V8", "", None, "<f8\x00"],
            "name": ["steps.a", "data.x", "steps.evil", "", None, "steps.velocity_a"]}[field])
        if rng.random() < 0.3:
            header["n_steps"] = rng.choice([0, 2**63, -1, 10_000_001, True, 1.0])
    else:
        _edit(rng, header, big)
    try:
        text = json.dumps(header).encode("utf-8", "surrogatepass")
    except (RecursionError, ValueError):
        return
    length = len(text) if rng.random() < 0.85 else rng.choice([0, 1, len(text) - 1, len(text) + 1, 2**63, 2**64 - 1,
                                                                 16 << 20, (16 << 20) + 1])
    data[:] = data[:16] + struct.pack("<Q", length) + text + data[24 + n:]


def _binary_body(rng, data, seeds, big):
    """Poke a little-endian double or int64 somewhere after the header."""
    if len(data) < 32:
        return _bit_flip(rng, data, seeds, big)
    (n,) = struct.unpack("<Q", data[16:24])
    start = min(len(data), 24 + n)
    if start >= len(data) - 8:
        return _bit_flip(rng, data, seeds, big)
    at = start + 8 * rng.randrange((len(data) - start) // 8)
    value = rng.choice([struct.pack("<d", v) for v in (float("nan"), float("inf"), -0.0, 1e308, 3.5e38, 5e-324)]
                       + [struct.pack("<q", v) for v in (-1, 2**63 - 1, -2**63, 10**12, 7)])
    data[at:at + 8] = value


GROWTH = [_duplicate, _long_string, _repeat_line, _nest]
STRUCTURED = {"json": [_json_doc], "toml": [_toml_doc], "csv": [_repeat_line], "binary": [_binary_header, _binary_body]}


def mutate(rng: random.Random, seeds: list[bytes], structure: str, big: bool = False,
           limit: int | None = None) -> tuple[bytes, list[str]]:
    """A mutated seed and the names of the mutations applied (1 to 4 of them), at most
    ``limit`` bytes (default: MAX_BIG with ``big``, else MAX_SMALL)."""
    limit = limit or (MAX_BIG if big else MAX_SMALL)
    data = bytearray(rng.choice(seeds))
    names = []
    for i in range(rng.choice([1, 1, 2, 2, 3, 4])):
        ops = STRUCTURED[structure] if rng.random() < 0.4 else BYTE_LEVEL
        op = rng.choice(GROWTH if big and i == 0 else ops)  # big: the first one makes it large
        op(rng, data, seeds, big)
        names.append(op.__name__.lstrip("_"))
        if len(data) > limit:  # inputs stay within what a case may take
            del data[limit:]
    return bytes(data), names
