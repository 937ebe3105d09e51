"""Evidence files: the declared type must match what the bytes are."""

from __future__ import annotations

from kustodia_domain.shared.errors import ValidationError

_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def check_content(data: bytes, content_type: str) -> None:
    """Refuse a file whose bytes are not what its content type says.

    The domain decides which types are accepted; this only stops a renamed executable from
    being stored as "image/png".

    Raises:
        ValidationError: the bytes do not match the declared type (field ``file``).
    """
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind in _SIGNATURES:
        ok = data.startswith(_SIGNATURES[kind])
    elif kind == "image/webp":
        ok = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    elif kind == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            ok = False
        else:
            ok = b"\x00" not in data
    else:
        return  # the domain refuses the type itself
    if not ok:
        raise ValidationError(f"the file's content is not {kind}", field="file")
