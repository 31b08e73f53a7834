"""SPDY/3.1 framing, as far as Kubernetes' streaming (port-forward, and exec/attach over SPDY)
needs it: the frames github.com/moby/spdystream's spdy package reads and writes (spdy/types.go,
read.go, write.go; a fork of the Go project's go.net/spdy framer), which
k8s.io/apimachinery/pkg/util/httpstream/spdy runs over the upgraded connection.

- A control frame: the control bit, version 3, the type (16 bits), flags (8), length (24),
  then its fields; a DATA frame: the stream id (31 bits), flags (FIN), length, the bytes.
- SYN_STREAM, SYN_REPLY and HEADERS carry a header block: a count, then length-prefixed
  lowercase names and values (several values of one name joined by NUL), compressed with zlib
  and the SPDY/3 dictionary (spdy/dictionary.go, headerDictionary), one compression context
  per direction of a connection, each block ending in a sync flush (write.go:
  writeHeaderValueBlock, then headerCompressor.Flush()).
- spdystream does no flow control: it neither sends WINDOW_UPDATE nor acts on one
  (connection.go frameHandler has no case for it), so neither does this module; SETTINGS and
  WINDOW_UPDATE are decoded and left to the caller to ignore.

`Encoder` and `Decoder` hold one direction's compression context each."""

import struct
import zlib
from typing import List, NamedTuple, Optional, Tuple

VERSION = 3
DATA = 0                # not a control type: a DATA frame
SYN_STREAM = 1
SYN_REPLY = 2
RST_STREAM = 3
SETTINGS = 4
PING = 6
GOAWAY = 7
HEADERS = 8
WINDOW_UPDATE = 9
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02
# RST_STREAM status codes (types.go RstStreamStatus)
PROTOCOL_ERROR = 1
INVALID_STREAM = 2
REFUSED_STREAM = 3
CANCEL = 5
MAX_DATA_LENGTH = (1 << 24) - 1

Headers = Tuple[Tuple[str, str], ...]


class SpdyError(ValueError):
    """A frame this framer cannot read (read.go's Error kinds)."""


class Frame(NamedTuple):
    """One frame. `stream_id` is the last good stream id for GOAWAY; `value` is the status of
    RST_STREAM and GOAWAY, the id of PING, the delta of WINDOW_UPDATE."""
    type: int
    stream_id: int = 0
    flags: int = 0
    headers: Headers = ()
    data: bytes = b""
    value: int = 0
    settings: Tuple[Tuple[int, int, int], ...] = ()     # (flag, id, value)
    associated: int = 0
    priority: int = 0

    def header(self, name: str) -> Optional[str]:
        """The first value of a header (names are case-insensitive), or None."""
        name = name.lower()
        return next((v for k, v in self.headers if k == name), None)


# spdy/dictionary.go headerDictionary (1423 bytes)
DICTIONARY = (
    b"\x00\x00\x00\x07options\x00\x00\x00\x04head\x00\x00\x00\x04post\x00\x00\x00\x03put"
    b"\x00\x00\x00\x06delete\x00\x00\x00\x05trace\x00\x00\x00\x06accept\x00\x00\x00\x0eacc"
    b"ept-charset\x00\x00\x00\x0faccept-encoding\x00\x00\x00\x0faccept-language\x00\x00"
    b"\x00\raccept-ranges\x00\x00\x00\x03age\x00\x00\x00\x05allow\x00\x00\x00\rauthorizati"
    b"on\x00\x00\x00\rcache-control\x00\x00\x00\nconnection\x00\x00\x00\x0ccontent-base"
    b"\x00\x00\x00\x10content-encoding\x00\x00\x00\x10content-language\x00\x00\x00\x0econt"
    b"ent-length\x00\x00\x00\x10content-location\x00\x00\x00\x0bcontent-md5\x00\x00\x00\rc"
    b"ontent-range\x00\x00\x00\x0ccontent-type\x00\x00\x00\x04date\x00\x00\x00\x04etag\x00"
    b"\x00\x00\x06expect\x00\x00\x00\x07expires\x00\x00\x00\x04from\x00\x00\x00\x04host"
    b"\x00\x00\x00\x08if-match\x00\x00\x00\x11if-modified-since\x00\x00\x00\rif-none-match"
    b"\x00\x00\x00\x08if-range\x00\x00\x00\x13if-unmodified-since\x00\x00\x00\rlast-modifi"
    b"ed\x00\x00\x00\x08location\x00\x00\x00\x0cmax-forwards\x00\x00\x00\x06pragma\x00\x00"
    b"\x00\x12proxy-authenticate\x00\x00\x00\x13proxy-authorization\x00\x00\x00\x05range"
    b"\x00\x00\x00\x07referer\x00\x00\x00\x0bretry-after\x00\x00\x00\x06server\x00\x00\x00"
    b"\x02te\x00\x00\x00\x07trailer\x00\x00\x00\x11transfer-encoding\x00\x00\x00\x07upgrad"
    b"e\x00\x00\x00\nuser-agent\x00\x00\x00\x04vary\x00\x00\x00\x03via\x00\x00\x00\x07warn"
    b"ing\x00\x00\x00\x10www-authenticate\x00\x00\x00\x06method\x00\x00\x00\x03get\x00\x00"
    b"\x00\x06status\x00\x00\x00\x06200 OK\x00\x00\x00\x07version\x00\x00\x00\x08HTTP/1.1"
    b"\x00\x00\x00\x03url\x00\x00\x00\x06public\x00\x00\x00\nset-cookie\x00\x00\x00\nkeep-"
    b"alive\x00\x00\x00\x06origin100101201202205206300302303304305306307402405406407408409"
    b"410411412413414415416417502504505203 Non-Authoritative Information204 No Content301 "
    b"Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Intern"
    b"al Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul"
    b" Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/ht"
    b"ml,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,te"
    b"xt/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,"
    b"utf-,*,enq=0.")


def _header_block(headers: Headers) -> bytes:
    """write.go writeHeaderValueBlock: names lowercased, a name's values joined by NUL."""
    grouped: dict = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    out = [struct.pack(">I", len(grouped))]
    for name, values in grouped.items():
        raw_name, raw_value = name.encode(), "\x00".join(values).encode()
        out += [struct.pack(">I", len(raw_name)), raw_name,
                struct.pack(">I", len(raw_value)), raw_value]
    return b"".join(out)


def _parse_header_block(block: bytes, stream_id: int) -> Headers:
    """read.go parseHeaderValueBlock (which also refuses uppercase and repeated names)."""
    pos, pairs, seen = 4, [], set()
    if len(block) < 4:
        raise SpdyError("stream %d: truncated header block" % stream_id)
    (count,) = struct.unpack_from(">I", block)
    for _ in range(count):
        fields = []
        for _ in range(2):
            if pos + 4 > len(block):
                raise SpdyError("stream %d: truncated header block" % stream_id)
            (length,) = struct.unpack_from(">I", block, pos)
            pos += 4
            if pos + length > len(block):
                raise SpdyError("stream %d: truncated header block" % stream_id)
            fields.append(block[pos:pos + length].decode("utf-8", "replace"))
            pos += length
        name, value = fields
        if name != name.lower():
            raise SpdyError("stream %d: header name %r is not lowercase" % (stream_id, name))
        if name in seen:
            raise SpdyError("stream %d: duplicate header %r" % (stream_id, name))
        seen.add(name)
        pairs += [(name, v) for v in value.split("\x00")]
    return tuple(pairs)


def _control(ftype: int, flags: int, payload: bytes) -> bytes:
    return struct.pack(">HHI", 0x8000 | VERSION, ftype, (flags << 24) | len(payload)) + payload


class Encoder:
    """One direction's writer (write.go Framer.WriteFrame)."""

    def __init__(self) -> None:
        # compress/zlib NewWriterLevelDict(BestCompression, headerDictionary) in NewFramer
        self._zlib = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY,
                                      DICTIONARY)

    def _compressed(self, headers: Headers) -> bytes:
        return self._zlib.compress(_header_block(headers)) + self._zlib.flush(zlib.Z_SYNC_FLUSH)

    def encode(self, frame: Frame) -> bytes:
        t = frame.type
        if t == DATA:
            if len(frame.data) > MAX_DATA_LENGTH:
                raise SpdyError("data frame over %d bytes" % MAX_DATA_LENGTH)
            return struct.pack(">II", frame.stream_id & 0x7FFFFFFF,
                               (frame.flags << 24) | len(frame.data)) + frame.data
        if t in (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE) \
                and frame.stream_id == 0:
            raise SpdyError("stream id 0 in a frame of type %d" % t)
        if t == SYN_STREAM:
            payload = struct.pack(">IIBB", frame.stream_id, frame.associated,
                                  (frame.priority & 7) << 5, 0) + self._compressed(frame.headers)
        elif t in (SYN_REPLY, HEADERS):
            payload = struct.pack(">I", frame.stream_id) + self._compressed(frame.headers)
        elif t == RST_STREAM:
            if frame.value == 0:
                raise SpdyError("RST_STREAM without a status")
            payload = struct.pack(">II", frame.stream_id, frame.value)
        elif t == SETTINGS:
            payload = struct.pack(">I", len(frame.settings)) + b"".join(
                struct.pack(">II", (flag << 24) | ident, value)
                for flag, ident, value in frame.settings)
        elif t == PING:
            payload = struct.pack(">I", frame.value)
        elif t == GOAWAY:
            payload = struct.pack(">II", frame.stream_id, frame.value)
        elif t == WINDOW_UPDATE:
            payload = struct.pack(">II", frame.stream_id, frame.value)
        else:
            raise SpdyError("unknown frame type %d" % t)
        return _control(t, frame.flags, payload)


class Decoder:
    """One direction's reader (read.go Framer.ReadFrame): `feed` bytes as they arrive and get
    the whole frames they complete."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._zlib = zlib.decompressobj(15, DICTIONARY)

    def feed(self, data: bytes) -> List[Frame]:
        self._buf += data
        frames = []
        while len(self._buf) >= 8:
            (length,) = struct.unpack_from(">I", self._buf, 4)
            length &= 0xFFFFFF
            if len(self._buf) < 8 + length:
                break
            head, payload = bytes(self._buf[:8]), bytes(self._buf[8:8 + length])
            del self._buf[:8 + length]
            frames.append(self._frame(head, payload))
        return frames

    def _headers(self, compressed: bytes, stream_id: int) -> Headers:
        try:
            block = self._zlib.decompress(compressed)
        except zlib.error as exc:
            raise SpdyError("stream %d: bad compressed header block: %s" % (stream_id, exc))
        return _parse_header_block(block, stream_id)

    def _frame(self, head: bytes, payload: bytes) -> Frame:
        first, word = struct.unpack(">II", head)
        flags = word >> 24
        if not first & 0x80000000:
            return Frame(DATA, first & 0x7FFFFFFF, flags, data=payload)
        version, t = (first >> 16) & 0x7FFF, first & 0xFFFF
        if version != VERSION:
            raise SpdyError("unsupported SPDY version %d" % version)
        fixed = {SYN_STREAM: 10, SYN_REPLY: 4, HEADERS: 4, RST_STREAM: 8, SETTINGS: 4,
                 PING: 4, GOAWAY: 8, WINDOW_UPDATE: 8}
        if t not in fixed:
            raise SpdyError("invalid control frame type %d" % t)
        if len(payload) < fixed[t]:
            raise SpdyError("control frame of type %d too short" % t)
        if t == SYN_STREAM:
            sid, assoc, prio, _ = struct.unpack_from(">IIBB", payload)
            sid &= 0x7FFFFFFF
            if sid == 0:
                raise SpdyError("SYN_STREAM with stream id 0")
            return Frame(t, sid, flags, self._headers(payload[10:], sid),
                         associated=assoc & 0x7FFFFFFF, priority=prio >> 5)
        if t in (SYN_REPLY, HEADERS):
            (sid,) = struct.unpack_from(">I", payload)
            sid &= 0x7FFFFFFF
            if sid == 0:
                raise SpdyError("control frame of type %d with stream id 0" % t)
            return Frame(t, sid, flags, self._headers(payload[4:], sid))
        if t == SETTINGS:
            (count,) = struct.unpack_from(">I", payload)
            if len(payload) != 4 + 8 * count:
                raise SpdyError("SETTINGS of the wrong length")
            entries = tuple((word >> 24, word & 0xFFFFFF, value) for word, value in
                            (struct.unpack_from(">II", payload, 4 + 8 * i) for i in range(count)))
            return Frame(t, 0, flags, settings=entries)
        if t == PING:
            (ident,) = struct.unpack_from(">I", payload)
            if ident == 0 or flags:
                raise SpdyError("invalid PING")
            return Frame(t, 0, flags, value=ident)
        sid, value = struct.unpack_from(">II", payload)
        sid &= 0x7FFFFFFF
        if t == RST_STREAM and (value == 0 or sid == 0):
            raise SpdyError("invalid RST_STREAM")
        if t in (GOAWAY, WINDOW_UPDATE) and (flags or len(payload) != 8):
            raise SpdyError("invalid control frame of type %d" % t)
        return Frame(t, sid, flags, value=value & (0x7FFFFFFF if t == WINDOW_UPDATE else
                                                   0xFFFFFFFF))
