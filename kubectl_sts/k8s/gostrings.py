"""Go's strconv where kubectl and the API server use it: `%q` (strconv.Quote) in messages and
strconv.ParseBool for boolean flag values, the one home of both for the plugin and the
sandbox."""

from typing import Optional

_SIMPLE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                   "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(s: str) -> str:
    """Go's `%q` of a string (strconv.Quote): the simple escapes, printable runes as they are
    (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space),
    other runes as \\xNN below 0x80, else \\uNNNN or \\UNNNNNNNN."""
    out = ['"']
    for ch in s:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x80:
                out.append("\\x%02x" % code)
            elif code <= 0xFFFF:
                out.append("\\u%04x" % code)
            else:
                out.append("\\U%08x" % code)
    out.append('"')
    return "".join(out)


_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def parse_bool(text: str) -> Optional[bool]:
    """Go's strconv.ParseBool: True or False, None for any other text (pflag's and
    featuregate's "invalid syntax")."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None
