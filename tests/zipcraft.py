"""Crafting damaged and hostile zip archives for the tests: members copied raw (still compressed),
headers that lie, deflate bombs made in milliseconds. Only what the tests need; no zipfile internals."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, replace

from numpy.lib import format as npy_format


@dataclass(frozen=True)
class Member:
    """One zip member as stored: its name, compression method, compressed bytes, CRC-32 and size."""

    name: str
    method: int
    data: bytes
    crc: int
    size: int
    flags: int = 0

    def with_(self, **changes) -> Member:
        return replace(self, **changes)


def members(path) -> list[Member]:
    """The members of a zip file, their compressed bytes copied as they are."""
    raw = open(path, "rb").read()
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            start = info.header_offset
            name_len, extra_len = struct.unpack_from("<HH", raw, start + 26)
            begin = start + 30 + name_len + extra_len
            data = raw[begin : begin + info.compress_size]
            out.append(Member(info.filename, info.compress_type, data, info.CRC, info.file_size, info.flag_bits))
    return out


def stored(name: str, data: bytes, method: int = zipfile.ZIP_DEFLATED) -> Member:
    """A member holding ``data``, deflated (or stored)."""
    if method == zipfile.ZIP_DEFLATED:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = c.compress(data) + c.flush()
    else:
        packed = data
    return Member(name, method, packed, zlib.crc32(data), len(data))


def bomb(name: str, head: bytes, zeros: int) -> Member:
    """A deflated member: ``head`` then ``zeros`` zero bytes (a multiple of 1 MiB), built without
    compressing them all: after a full flush, every further MiB of zeros deflates to the same bytes."""
    mib = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    assert c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH) == block
    n = zeros >> 20
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(mib, crc)
    return Member(name, zipfile.ZIP_DEFLATED, first + block * n + c.flush(), crc, len(head) + zeros)


def npy_header(shape, descr: str = "<f4") -> bytes:
    """The .npy header of an array of ``shape`` and ``descr``, without its data."""
    buf = io.BytesIO()
    npy_format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def build(ms: list[Member]) -> bytes:
    """A zip file of these members, with their headers saying exactly what each Member says."""
    out, central = io.BytesIO(), io.BytesIO()
    for m in ms:
        name = m.name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0, 0x21, m.crc, len(m.data), m.size, len(name), 0
            )
        )
        out.write(name + m.data)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                m.flags,
                m.method,
                0,
                0x21,
                m.crc,
                len(m.data),
                m.size,
                len(name),
                0,
                0,
                0,
                0,
                0o644 << 16,
                offset,
            )
            + name
        )
    start, cd = out.tell(), central.getvalue()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(ms), len(ms), len(cd), start, 0))
    return out.getvalue()
