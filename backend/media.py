"""Photos attached to reports (GraphQL multipart request spec): checked by their bytes,
stored content-addressed under the media directory, served at /media/<sha256>.<ext>."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from backend.errors import BadInput

MAX_FILES = 5
MAX_BYTES = 5 << 20
_SIGNATURES = (  # what the bytes say, not what the client claims
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    digest: str
    ext: str

    @property
    def name(self) -> str:
        return f"{self.digest}.{self.ext}"


def _sniff(data: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in _SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def check_photos(files: list[tuple[str, bytes]]) -> list[Photo]:
    """(filename, bytes) pairs (from read_uploads, which counts them) -> photos, or
    BAD_INPUT naming the file that is wrong."""
    photos = []
    for name, data in files:
        if len(data) > MAX_BYTES:
            raise BadInput(f"{name}: {len(data)} bytes; at most {MAX_BYTES} ({MAX_BYTES >> 20} "
                           "MiB)", "media")
        kind = _sniff(data)
        if kind is None:
            raise BadInput(f"{name}: not a JPEG, PNG or WebP image", "media")
        photos.append(Photo(data, kind[0], hashlib.sha256(data).hexdigest(), kind[1]))
    return photos


async def read_uploads(files: list[object]) -> list[tuple[str, bytes]]:
    """The (filename, bytes) of multipart uploads, each left readable again; anything else
    where a file belongs (a string, a placeholder no file was mapped to) is BAD_INPUT."""
    if len(files) > MAX_FILES:
        raise BadInput(f"at most {MAX_FILES} photos, got {len(files)}", "media")
    read = []
    for n, f in enumerate(files):
        if not isinstance(f, UploadFile):
            raise BadInput(f"media.{n} is not a file: send photos by the GraphQL multipart "
                           "request spec", "media")
        read.append((f.filename or "photo", await f.read()))
        await f.seek(0)
    return read


def store(photos: list[Photo], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for p in photos:
        path = directory / p.name
        if not path.exists():
            tmp = path.with_suffix(".part")
            tmp.write_bytes(p.data)
            tmp.replace(path)
