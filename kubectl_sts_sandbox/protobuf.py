"""Decoding of Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf).

A body is the 4-byte magic ``k8s\\0`` followed by a runtime.Unknown message:
typeMeta(1){apiVersion(1), kind(2)}, raw(2), contentEncoding(3), contentType(4); ``raw`` is the
object's own message. Objects are decoded into the dicts the API server would serialize as
JSON, driven by the message tables of protoschema.py; the wire format is protowire.py's.

How Go's protobuf and JSON encodings meet: gogo-protobuf writes every non-pointer field (zero
values included) and a pointer field only when set, so a field on the wire is a Go field that
is "present". In JSON a present message is always written (``{}`` when empty; a zero Time as
null); a scalar is dropped when it is the zero value and its JSON tag has omitempty, unless
flag ``k`` says to keep it (a pointer, or a field without omitempty).

A field the tables do not know is an error (DecodeError), never dropped silently.
"""

import base64
import datetime
import json
from typing import Any, Callable, Dict, Optional, Tuple, Union

from .protoschema import KINDS, SCHEMA
from .protowire import DecodeError, iter_fields, read_varint, signed, utf8_text

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

class UnsupportedKind(DecodeError):
    """The envelope names a kind the sandbox has no schema for."""

    def __init__(self, api_version: str, kind: str) -> None:
        super().__init__("the sandbox decodes protobuf bodies only for the kinds it serves, "
                         "not %s %s; send the object as application/json" % (api_version, kind))
        self.api_version, self.kind = api_version, kind


# -- the well-known types ------------------------------------------------------------------------

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _timestamp(data: bytes) -> Tuple[int, int]:
    seconds = nanos = 0
    for num, wire, value in iter_fields(data):
        if num == 1 and wire == 0:
            seconds = signed(value)
        elif num == 2 and wire == 0:
            nanos = signed(value)
        else:
            raise DecodeError("unknown field %d of Timestamp" % num)
    return seconds, nanos


def _time(data: bytes) -> Optional[str]:
    if not data:
        return None                                 # the zero Time: JSON null
    seconds, _ = _timestamp(data)
    return (_EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _micro_time(data: bytes) -> Optional[str]:
    if not data:
        return None
    seconds, nanos = _timestamp(data)
    moment = _EPOCH + datetime.timedelta(seconds=seconds, microseconds=nanos // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _int_or_string(data: bytes) -> Union[int, str]:
    kind, number, text = 0, 0, ""
    for num, wire, value in iter_fields(data):
        if num == 1 and wire == 0:
            kind = value
        elif num == 2 and wire == 0:
            number = signed(value)
        elif num == 3 and wire == 2:
            text = utf8_text(value)
        else:
            raise DecodeError("unknown field %d of IntOrString" % num)
    return text if kind == 1 else number


def _quantity(data: bytes) -> str:
    text = ""
    for num, wire, value in iter_fields(data):
        if num == 1 and wire == 2:
            text = utf8_text(value)
        else:
            raise DecodeError("unknown field %d of Quantity" % num)
    return text or "0"


def _raw_json(data: bytes, what: str) -> Any:
    raw = b""
    for num, wire, value in iter_fields(data):
        if num == 1 and wire == 2:
            raw = value
        else:
            raise DecodeError("unknown field %d of %s" % (num, what))
    if not raw:
        return None
    if raw[:4] == MAGIC:
        return decode(raw)
    try:
        return json.loads(raw)
    except ValueError:
        raise DecodeError("%s does not hold JSON" % what)


_SPECIAL: Dict[str, Callable[[bytes], Any]] = {
    "t": _time, "mt": _micro_time, "ios": _int_or_string, "q": _quantity,
    "fields": lambda data: _raw_json(data, "FieldsV1"),
    "raw": lambda data: _raw_json(data, "RawExtension"),
}
_SCALARS = {"s", "i", "b", "y"}


# -- decoding ------------------------------------------------------------------------------------

def _scalar(typ: str, wire: int, value: Any, where: str) -> Any:
    if typ in ("s", "y"):
        if wire != 2:
            raise DecodeError("proto: wrong wireType = %d for %s" % (wire, where))
        return utf8_text(value) if typ == "s" else base64.b64encode(value).decode()
    if wire != 0:
        raise DecodeError("proto: wrong wireType = %d for %s" % (wire, where))
    return bool(value) if typ == "b" else signed(value)


def _value(typ: str, wire: int, value: Any, where: str) -> Any:
    if typ in _SCALARS:
        return _scalar(typ, wire, value, where)
    if wire != 2:
        raise DecodeError("proto: wrong wireType = %d for %s" % (wire, where))
    special = _SPECIAL.get(typ)
    if special is not None:
        return special(value)
    return _message(typ, value)


def _map_entry(typ: str, data: bytes, where: str) -> Tuple[str, Any]:
    key, seen = "", False
    val: Any = None
    for num, wire, value in iter_fields(data):
        if num == 1:
            key = _scalar("s", wire, value, where + " key")
        elif num == 2:
            val, seen = _value(typ, wire, value, where + " value"), True
        else:
            raise DecodeError("unknown field %d of the map entry %s" % (num, where))
    if not seen:                        # a missing value is the zero value of its type
        val = {"s": "", "y": "", "q": "0", "t": None}.get(typ, {})
    return key, val


def _message(name: str, data: bytes) -> Dict[str, Any]:
    schema = SCHEMA.get(name)
    if schema is None:
        raise DecodeError("no schema for %s" % name)
    out: Dict[str, Any] = {}
    for num, wire, value in iter_fields(data):
        spec = schema.get(num)
        if spec is None:
            raise DecodeError("the sandbox does not decode field %d of %s" % (num, name))
        jname, typ, flags = spec
        where = "%s.%s" % (name, jname)
        if typ.startswith("map:"):
            if wire != 2:
                raise DecodeError("proto: wrong wireType = %d for %s" % (wire, where))
            key, val = _map_entry(typ[4:], value, where)
            out.setdefault(jname, {})[key] = val
        elif "r" in flags:
            items = out.setdefault(jname, [])
            if typ == "i" and wire == 2:            # a packed repeated integer
                pos = 0
                while pos < len(value):
                    number, pos = read_varint(value, pos)
                    items.append(signed(number))
            else:
                items.append(_value(typ, wire, value, where))
        elif "n" in flags:
            out.update(_value(typ, wire, value, where))
        else:
            decoded = _value(typ, wire, value, where)
            if typ in _SCALARS and "k" not in flags and decoded in ("", 0):
                out.pop(jname, None)                # omitempty: the zero value is not written
            else:
                out[jname] = decoded
    return out


def _envelope(data: bytes) -> Tuple[str, str, bytes]:
    """(apiVersion, kind, raw) of a body: the magic, then a runtime.Unknown."""
    if data[:4] != MAGIC:
        raise DecodeError("provided data does not appear to be a protobuf message, expected "
                          "prefix [107 56 115 0]")
    api_version = kind = encoding = ""
    raw = b""
    for num, wire, value in iter_fields(data[4:]):
        if num == 1 and wire == 2:
            for tnum, twire, tvalue in iter_fields(value):
                if tnum == 1:
                    api_version = _scalar("s", twire, tvalue, "TypeMeta.apiVersion")
                elif tnum == 2:
                    kind = _scalar("s", twire, tvalue, "TypeMeta.kind")
                else:
                    raise DecodeError("unknown field %d of TypeMeta" % tnum)
        elif num == 2 and wire == 2:
            raw = value
        elif num in (3, 4) and wire == 2:
            if num == 3:
                encoding = utf8_text(value)
        else:
            raise DecodeError("unknown field %d of runtime.Unknown" % num)
    if encoding:
        raise DecodeError("unsupported content encoding %r" % encoding)
    return api_version, kind, raw


def decode_type_meta(data: bytes) -> Dict[str, str]:
    """{"apiVersion", "kind"} of a body's envelope, without decoding the object."""
    api_version, kind, _ = _envelope(data)
    return {"apiVersion": api_version, "kind": kind}


def decode(data: bytes) -> Dict[str, Any]:
    """The object dict of a protobuf-encoded body (magic + runtime.Unknown)."""
    api_version, kind, raw = _envelope(data)
    message = KINDS.get((api_version, kind))
    if message is None:
        raise UnsupportedKind(api_version, kind)
    obj: Dict[str, Any] = {"kind": kind, "apiVersion": api_version}
    obj.update(_message(message, raw))
    return obj


def summarize(data: bytes, limit: int = 30) -> str:
    """A decode error's summary of the body (the API server's summarizeData)."""
    if not data:
        return "<empty>"
    if data[:1] == b"{":
        text = data[:limit].decode("utf-8", "replace")
        return text + " ..." if len(data) > limit else text
    return data[:limit].hex() + (" ..." if len(data) > limit else "")
