"""UTF-8 bytes of an Arrow string column -> Numba ``str``, inside compiled kernels.

Arrow keeps a string column as int32 offsets into one UTF-8 character buffer; a
compiled UDF sees each value as an ordinary ``str`` built from its slice. This uses
Numba's own string constructors (``numba.cpython.unicode``), the same ones its
``str`` operations use.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numba.cpython.unicode import (PY_UNICODE_1BYTE_KIND, PY_UNICODE_2BYTE_KIND, PY_UNICODE_4BYTE_KIND,
                                   _empty_string, _set_code_point)


@njit(cache=True, inline="always")
def _code_point(data, j):
    """(code point, bytes it takes) of the UTF-8 sequence at data[j]."""
    b = np.int64(data[j])
    if b < 0x80:
        return b, 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (np.int64(data[j + 1]) & 0x3F), 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((np.int64(data[j + 1]) & 0x3F) << 6) | (np.int64(data[j + 2]) & 0x3F), 3
    return (((b & 0x07) << 18) | ((np.int64(data[j + 1]) & 0x3F) << 12) | ((np.int64(data[j + 2]) & 0x3F) << 6)
            | (np.int64(data[j + 3]) & 0x3F)), 4


@njit(cache=True)
def utf8_to_str(data, start, end):
    """The str of data[start:end] (valid UTF-8, as Arrow guarantees for utf8)."""
    count = 0
    widest = 0
    j = start
    while j < end:
        cp, size = _code_point(data, j)
        widest = max(widest, cp)
        count += 1
        j += size
    if widest < 0x80:
        kind = PY_UNICODE_1BYTE_KIND
    elif widest < 0x100:
        kind = PY_UNICODE_1BYTE_KIND
    elif widest < 0x10000:
        kind = PY_UNICODE_2BYTE_KIND
    else:
        kind = PY_UNICODE_4BYTE_KIND
    s = _empty_string(kind, count, 1 if widest < 0x80 else 0)
    j = start
    k = 0
    while j < end:
        cp, size = _code_point(data, j)
        _set_code_point(s, k, np.uint32(cp))
        k += 1
        j += size
    return s
