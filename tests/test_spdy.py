"""SPDY/3.1 frames as github.com/moby/spdystream's framer (spdy/read.go, write.go) reads and
writes them: the bytes of each frame type, header blocks compressed with the SPDY/3 dictionary
in one zlib context per direction, and the frames the framer refuses."""

import struct
import zlib

import pytest

from kubectl_sts_sandbox import spdy
from kubectl_sts_sandbox.spdy import Frame

# (frame, its bytes on the wire)
WIRE = [
    (Frame(spdy.PING, value=1), "80030006 00000004 00000001"),
    (Frame(spdy.RST_STREAM, 3, value=spdy.CANCEL), "80030003 00000008 00000003 00000005"),
    (Frame(spdy.GOAWAY, 5, value=0), "80030007 00000008 00000005 00000000"),
    (Frame(spdy.DATA, 3, spdy.FLAG_FIN, data=b"hi"), "00000003 01000002 6869"),
    (Frame(spdy.DATA, 1, spdy.FLAG_FIN), "00000001 01000000"),
    (Frame(spdy.DATA, 7, data=b"\x00\xff"), "00000007 00000002 00ff"),
    (Frame(spdy.SETTINGS, settings=((0, 7, 65536),)),
     "80030004 0000000c 00000001 00000007 00010000"),
    (Frame(spdy.SETTINGS, settings=((1, 4, 100), (0, 7, 1))),
     "80030004 00000014 00000002 01000004 00000064 00000007 00000001"),
    (Frame(spdy.WINDOW_UPDATE, 1, value=1000), "80030009 00000008 00000001 000003e8"),
]


@pytest.mark.parametrize("frame,wire", WIRE)
def test_frames_without_headers_encode_and_decode_to_the_same_bytes(frame, wire):
    raw = bytes.fromhex(wire.replace(" ", ""))
    assert spdy.Encoder().encode(frame) == raw
    assert spdy.Decoder().feed(raw) == [frame]


def go_header_block(pairs):
    """A header block as write.go writeHeaderValueBlock lays it out (uncompressed)."""
    out = struct.pack(">I", len(pairs))
    for name, value in pairs:
        out += struct.pack(">I", len(name)) + name + struct.pack(">I", len(value)) + value
    return out


def go_compressor():
    """compress/zlib NewWriterLevelDict(BestCompression, headerDictionary), as NewFramer."""
    return zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, spdy.DICTIONARY)


def syn_stream(comp, stream_id, pairs, flags=0):
    block = comp.compress(go_header_block(pairs)) + comp.flush(zlib.Z_SYNC_FLUSH)
    payload = struct.pack(">IIBB", stream_id, 0, 0, 0) + block
    return struct.pack(">HHI", 0x8003, spdy.SYN_STREAM, (flags << 24) | len(payload)) + payload


# what kubectl's port-forward opens (client-go tools/portforward handleConnection): the names
# as spdystream sends them (lowercased), several values of one name joined by NUL
HEADER_CASES = [
    ([(b"streamtype", b"error"), (b"port", b"8080"), (b"requestid", b"0")],
     (("streamtype", "error"), ("port", "8080"), ("requestid", "0"))),
    ([(b"streamtype", b"data"), (b"port", b"80")], (("streamtype", "data"), ("port", "80"))),
    ([(b"accept", b"a\x00b")], (("accept", "a"), ("accept", "b"))),
    ([], ()),
]


@pytest.mark.parametrize("pairs,headers", HEADER_CASES)
def test_a_go_compressed_header_block_decodes(pairs, headers):
    (frame,) = spdy.Decoder().feed(syn_stream(go_compressor(), 1, pairs))
    assert (frame.type, frame.stream_id, frame.headers) == (spdy.SYN_STREAM, 1, headers)


def test_header_blocks_share_one_zlib_context_per_direction():
    comp = go_compressor()
    first = syn_stream(comp, 1, [(b"streamtype", b"error"), (b"port", b"8080")])
    second = syn_stream(comp, 3, [(b"streamtype", b"data"), (b"port", b"8080")])
    decoder = spdy.Decoder()
    assert [f.header("streamType") for f in decoder.feed(first + second)] == ["error", "data"]
    # the second block's back-references point into the first: a fresh context cannot read it
    with pytest.raises(spdy.SpdyError):
        spdy.Decoder().feed(second)


@pytest.mark.parametrize("frame", [
    Frame(spdy.SYN_REPLY, 1),
    Frame(spdy.SYN_REPLY, 5, spdy.FLAG_FIN, headers=(("status", "ok"),)),
    Frame(spdy.SYN_STREAM, 3, spdy.FLAG_UNIDIRECTIONAL, headers=(("port", "1"),),
          associated=1, priority=7),
    Frame(spdy.HEADERS, 9, headers=(("a", "1"), ("a", "2"), ("b", ""))),
])
def test_frames_with_headers_round_trip_through_one_context(frame):
    encoder, decoder = spdy.Encoder(), spdy.Decoder()
    raw = encoder.encode(frame) + encoder.encode(frame)
    # fed a byte at a time: a frame is whole only when its last byte arrives
    out = [f for i in range(len(raw)) for f in decoder.feed(raw[i:i + 1])]
    assert out == [frame, frame]


def test_names_go_out_lowercased_as_writeHeaderValueBlock_writes_them():
    raw = spdy.Encoder().encode(Frame(spdy.SYN_REPLY, 1, headers=(("streamType", "data"),)))
    (frame,) = spdy.Decoder().feed(raw)
    assert frame.headers == (("streamtype", "data"),)
    assert frame.header("StreamType") == "data"


def control(ftype, payload, flags=0, version=3):
    return struct.pack(">HHI", 0x8000 | version, ftype, (flags << 24) | len(payload)) + payload


REFUSED = [
    ("SPDY/2", control(spdy.PING, struct.pack(">I", 1), version=2)),
    ("unknown type", control(5, b"")),
    ("ping id 0", control(spdy.PING, struct.pack(">I", 0))),
    ("ping with flags", control(spdy.PING, struct.pack(">I", 1), flags=1)),
    ("reset without status", control(spdy.RST_STREAM, struct.pack(">II", 1, 0))),
    ("reset of stream 0", control(spdy.RST_STREAM, struct.pack(">II", 0, 5))),
    ("goaway with flags", control(spdy.GOAWAY, struct.pack(">II", 1, 0), flags=1)),
    ("window update too long", control(spdy.WINDOW_UPDATE, struct.pack(">III", 1, 1, 0))),
    ("syn_stream of stream 0", syn_stream(go_compressor(), 0, [(b"port", b"1")])),
    ("uppercase name", syn_stream(go_compressor(), 1, [(b"Port", b"1")])),
    ("repeated name", syn_stream(go_compressor(), 1, [(b"port", b"1"), (b"port", b"2")])),
    ("not zlib", control(spdy.SYN_REPLY, struct.pack(">I", 1) + b"junk")),
    ("settings count wrong", control(spdy.SETTINGS, struct.pack(">I", 2) + b"\x00" * 8)),
]


@pytest.mark.parametrize("why,raw", REFUSED, ids=[why for why, _ in REFUSED])
def test_frames_the_framer_refuses(why, raw):
    with pytest.raises(spdy.SpdyError):
        spdy.Decoder().feed(raw)


def test_a_frame_waits_for_its_last_byte():
    raw = spdy.Encoder().encode(Frame(spdy.DATA, 1, data=b"abc"))
    decoder = spdy.Decoder()
    assert decoder.feed(raw[:-1]) == []
    assert decoder.feed(raw[-1:]) == [Frame(spdy.DATA, 1, data=b"abc")]


def test_the_dictionary_is_spdystreams():
    # spdy/dictionary.go headerDictionary (moby/spdystream f0be51f): its length and digest
    import hashlib
    assert len(spdy.DICTIONARY) == 1423
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert hashlib.sha256(spdy.DICTIONARY).hexdigest() == \
        "51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02"
