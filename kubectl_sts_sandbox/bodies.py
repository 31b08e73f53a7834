"""Request bodies: reading them off the connection (Content-Length or chunked, at most
MAX_BODY_BYTES) and decoding them as their Content-Type says (the API server's
NegotiateInputSerializer: none means JSON; JSON, YAML and protobuf are accepted; PATCH bodies
are JSON or YAML, and patch.apply_patch checks their type)."""

import io
import json
from email.message import Message
from typing import Any, Optional, Tuple

from . import errors, protobuf
from .errors import ApiError
from .protowire import DecodeError
from .resources import lookup

# The API server's default MaxRequestBodyBytes (3 MiB): limitedReadBody answers 413 past it.
MAX_BODY_BYTES = 3 * 1024 * 1024
_MAX_LINE = 4096
_UNSUPPORTED_BODY = ("the body of the request was in an unknown format - accepted media types "
                     "include: application/json, application/yaml, "
                     "application/vnd.kubernetes.protobuf")


def receive(headers: Message, rfile: io.BufferedIOBase) -> bytes:
    """Read the whole request body: chunked (Transfer-Encoding) or Content-Length, at most
    MAX_BODY_BYTES. Raises ApiError (the connection then cannot be reused) or OSError."""
    codings = [c.strip().lower() for c in
               (headers.get("Transfer-Encoding") or "").split(",") if c.strip()]
    if codings:
        if codings[-1] != "chunked":
            raise ApiError(errors.status(501, "NotImplemented", "unsupported transfer "
                                         "encoding: %s" % ", ".join(codings)))
        return _read_chunked(rfile)
    text = (headers.get("Content-Length") or "0").strip()
    if not text.isdigit():
        raise errors.bad_request("invalid Content-Length %r" % text)
    length = int(text)
    if length > MAX_BODY_BYTES:
        raise _too_large()
    data = rfile.read(length) if length else b""
    if len(data) < length:
        raise ConnectionResetError("the client closed the connection mid-body")
    return data


def _read_chunked(rfile: io.BufferedIOBase) -> bytes:
    data = bytearray()
    while True:
        line = rfile.readline(_MAX_LINE + 1)
        if not line.endswith(b"\n"):
            if not line or len(line) <= _MAX_LINE:
                raise ConnectionResetError("the client closed the connection mid-body")
            raise errors.bad_request("malformed chunked encoding: chunk line too long")
        digits = line.split(b";", 1)[0].strip()
        if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
            raise errors.bad_request("malformed chunked encoding: invalid chunk size")
        size = int(digits, 16)
        if size == 0:
            break
        if len(data) + size > MAX_BODY_BYTES:
            raise _too_large()
        chunk = rfile.read(size)
        if len(chunk) < size:
            raise ConnectionResetError("the client closed the connection mid-body")
        if rfile.read(2) != b"\r\n":
            raise errors.bad_request("malformed chunked encoding: no CRLF after a chunk")
        data += chunk
    for _ in range(100):                        # the trailer section, up to its empty line
        line = rfile.readline(_MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return bytes(data)
        if not line:
            raise ConnectionResetError("the client closed the connection mid-body")
    raise errors.bad_request("malformed chunked encoding: too many trailer lines")


def _too_large() -> ApiError:
    return ApiError(errors.status(413, "RequestEntityTooLarge",
                                  "Request entity too large: limit is %d" % MAX_BODY_BYTES))


def decode(raw: bytes, method: str, headers: Message, path: str) -> Any:
    """The request body `raw` of a `method` request to `path` as an object (None when empty),
    decoded as its Content-Type says."""
    if not raw:
        return None
    media = _media_type(headers.get("Content-Type"))
    if method == "PATCH":
        if raw[:4] == protobuf.MAGIC:
            raise errors.unsupported_media_type(media or "protobuf")
        return _json_or_yaml(raw)
    if media == protobuf.MEDIA_TYPE:
        return _protobuf_body(raw, headers.get("Accept"), path)
    if media in ("", "application/json"):
        try:
            return json.loads(raw)
        except ValueError:
            raise errors.bad_request("the body of the request could not be decoded")
    if media == "application/yaml":
        return _json_or_yaml(raw)
    raise ApiError(errors.status(415, "UnsupportedMediaType", _UNSUPPORTED_BODY))


def _protobuf_body(raw: bytes, accept: Optional[str], path: str) -> Any:
    """Decode a protobuf body; the answer is JSON, so the Accept header must allow it."""
    if not _accepts_json(accept):
        raise ApiError(errors.status(406, "NotAcceptable", "only the following media types "
                                     "are accepted: application/json"))
    try:
        return protobuf.decode(raw)
    except protobuf.UnsupportedKind as exc:
        raise ApiError(errors.status(415, "UnsupportedMediaType", str(exc)))
    except DecodeError as exc:
        # the wording of the API server's transformDecodeError (handlers/rest.go)
        kind, version = _envelope_kind(raw)
        if kind:
            raise errors.bad_request('%s in version "%s" cannot be handled as a %s: %s'
                                     % (kind, version, kind, exc))
        raise errors.bad_request("the object provided is unrecognized (must be of type %s): "
                                 "%s (%s)" % (_endpoint_kind(path), exc, protobuf.summarize(raw)))


def _media_type(header: Optional[str]) -> str:
    """The media type of a Content-Type (or Accept clause), lower case, without parameters."""
    return (header or "").split(";", 1)[0].strip().lower()


def _accepts_json(header: Optional[str]) -> bool:
    """Whether an Accept header allows a JSON answer (no header allows anything)."""
    if not header or not header.strip():
        return True
    for clause in header.split(","):
        media = _media_type(clause)
        if media in ("application/json", "application/*", "*/*", "*"):
            return True
    return False


def _json_or_yaml(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        try:
            import yaml
            return yaml.safe_load(raw)
        except Exception:
            raise errors.bad_request("the body of the request could not be decoded")


def _endpoint_kind(path: str) -> str:
    """The kind a resource URL serves (the decode target), "" when it names none."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"]:
        group, rest = "", parts[2:]
    else:
        group, rest = (parts[1] if len(parts) > 1 else ""), parts[3:]
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    rt = lookup(group, rest[0]) if rest else None
    if rt is not None and rest[2:3] == ["scale"]:
        return "Scale"
    return rt.kind if rt is not None else ""


def _envelope_kind(raw: bytes) -> Tuple[str, str]:
    """(kind, version) named by a protobuf envelope, ("", "") when unreadable."""
    try:
        obj = protobuf.decode_type_meta(raw)
    except DecodeError:
        return "", ""
    version = obj.get("apiVersion", "").rsplit("/", 1)[-1]
    return obj.get("kind", ""), version
