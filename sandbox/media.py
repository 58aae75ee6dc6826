"""Small generated files (PNG, voice, document) and the Telegram objects that describe stored files."""
from __future__ import annotations

import struct
import zlib

from sandbox.state import SandboxState, StoredFile

KINDS = {"photo": ("image/png", "photo.png"), "voice": ("audio/ogg", "voice.ogg"),
         "document": ("application/octet-stream", "document.bin"), "video": ("video/mp4", "video.mp4"),
         "sticker": ("image/webp", "sticker.webp"), "audio": ("audio/mpeg", "audio.mp3"),
         "animation": ("video/mp4", "animation.mp4")}


def make_png(width: int = 160, height: int = 120, rgb: tuple[int, int, int] = (92, 160, 110)) -> bytes:
    """Return a small PNG: a colour gradient, so it is visibly an image on the page."""
    rows = []
    for y in range(height):
        shade = 0.6 + 0.4 * y / max(height - 1, 1)
        pixel = bytes(min(255, int(c * shade)) for c in rgb)
        rows.append(b"\x00" + pixel * width)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def png_size(data: bytes) -> tuple[int, int]:
    """Return a PNG's width and height, or a made-up size for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return 320, 240


def sample(kind: str) -> tuple[bytes, str, str]:
    """Return (bytes, mime type, file name) of a generated file of this kind."""
    mime, name = KINDS.get(kind, KINDS["document"])
    if kind == "photo":
        return make_png(), mime, name
    if kind == "document":
        return "村民上传的材料（沙盒生成）\n".encode("utf-8"), "text/plain", "材料.txt"
    return f"sandbox {kind}".encode(), mime, name


def describe(stored: StoredFile, kind: str | None = None) -> dict | list:
    """Return the Telegram object for a stored file sent as `kind` (photo gives a list of sizes)."""
    kind = kind or stored.kind
    base = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": len(stored.data)}
    if kind == "photo":
        width, height = png_size(stored.data)
        thumb = {**base, "file_unique_id": stored.file_unique_id + "s", "width": max(1, width // 4),
                 "height": max(1, height // 4)}
        return [thumb, {**base, "width": width, "height": height}]
    if kind == "voice":
        return {**base, "duration": 3, "mime_type": stored.mime_type}
    if kind == "sticker":
        return {**base, "type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False,
                "emoji": "👍"}
    if kind in ("video", "animation"):
        return {**base, "width": 320, "height": 240, "duration": 5, "mime_type": stored.mime_type,
                "file_name": stored.file_name}
    if kind == "audio":
        return {**base, "duration": 5, "mime_type": stored.mime_type, "file_name": stored.file_name}
    return {**base, "file_name": stored.file_name, "mime_type": stored.mime_type}


def new_sample(state: SandboxState, kind: str) -> StoredFile:
    """Store a generated file of this kind and return it."""
    data, mime, name = sample(kind)
    return state.store_file(kind, data, mime, name)
