"""Text packets: bytes in any of the encodings seen → `Source`.

Encodings are decided by evidence (BOMs, then a plausibility score of each candidate decoding),
never by the file name alone.
"""

from __future__ import annotations

import codecs
import re

from pipeline.model import ExtractionError, Line, Source, sha256_bytes
from pipeline.normalise.text import fold

# Unicode blocks Japanese administrative text is written in; mojibake (a wrong guess) lands mostly
# outside them: Hangul, rare CJK extensions, half-width katakana, control characters, U+FFFD.
_TEXT_BLOCKS = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1 punctuation: ×, °, §, NBSP
    (0x370, 0x3FF),  # Greek (α, β in technical text)
    (0x2000, 0x22FF),  # punctuation, letterlike (℃, №), number forms (Ⅰ), arrows, maths
    (0x2460, 0x27BF),  # enclosed numbers (①), box drawing, shapes (○, ●, ■), dingbats
    (0x2E80, 0x2FDF),  # CJK radicals and Kangxi radicals (PDF text layers)
    (0x3000, 0x30FF),  # CJK punctuation, hiragana, katakana
    (0x3200, 0x33FF),  # enclosed CJK (㈱), CJK compatibility (㎡)
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF01, 0xFF5E),  # full-width ASCII
)
# The codec behind a recorded encoding name: EUC-JP files of Japanese offices use the JIS X 0213
# extensions (①, ⑴) that Python's plain `euc-jp` lacks; euc_jis_2004 reads both.
_CODECS = {"euc-jp": "euc_jis_2004"}
# Share of characters that must fall in those blocks for a guessed decoding to be accepted.
_MIN_PLAUSIBLE = 0.9


# Any character outside those blocks and the white space of text: one regex pass counts them.
_IMPLAUSIBLE = re.compile("[^\t\n\r\f" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _TEXT_BLOCKS) + "]")


def _plausibility(text: str) -> float:
    if not text:
        return 1.0
    return (len(text) - len(_IMPLAUSIBLE.findall(text))) / len(text)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Bytes → (text, encoding): a BOM decides; else valid UTF-8 without NULs is UTF-8; else the
    candidate (UTF-16 either way round, CP932, EUC-JP) whose text looks most like Japanese prose
    wins, if it looks enough like it. Never a silent mojibake."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _damaged_utf8(name, data, exc.start) from None
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc), "utf-16"
            except UnicodeDecodeError:
                raise ExtractionError(
                    "unreadable",
                    f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16; convert it again.",
                ) from None
    try:
        text = data.decode("utf-8")
        if "\x00" not in text:
            return text, "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    else:
        first_bad = -1
    scored: list[tuple[float, str, str]] = []
    for enc in ("utf-16-le", "utf-16-be", "cp932", "euc-jp"):
        try:
            candidate = data.decode(_CODECS.get(enc, enc))
        except UnicodeDecodeError:
            continue
        scored.append((_plausibility(candidate), enc, candidate))
    # UTF-8 with a few broken bytes scores high here: a damaged file, not another encoding.
    scored.append((_plausibility(data.decode("utf-8", errors="replace")), "utf-8", ""))
    score, enc, text = max(scored, key=lambda s: s[0])
    if score < _MIN_PLAUSIBLE:
        if data.count(0) > len(data) // 8:
            raise ExtractionError(
                "unreadable",
                f"{name}: is binary data, not text (it is full of NUL bytes); export the packet's text again.",
            )
        raise ExtractionError(
            "unreadable",
            f"{name}: is neither UTF-8, UTF-16, Shift_JIS (CP932) nor EUC-JP text; re-save it as UTF-8.",
        )
    if enc == "utf-8":
        raise _damaged_utf8(name, data, first_bad)
    return text, enc


def _damaged_utf8(name: str, data: bytes, first_bad: int) -> ExtractionError:
    if first_bad < 0:
        return ExtractionError(
            "unreadable",
            f"{name}: is UTF-8 text with NUL bytes in it; the file is damaged: download or convert it again.",
        )
    bad = data.decode("utf-8", errors="replace").count("\ufffd")
    return ExtractionError(
        "unreadable",
        f"{name}: is UTF-8 text with {bad} invalid byte(s), the first at byte {first_bad}; "
        "the file is damaged: download or convert it again.",
    )


# Control characters other than white space, and the private-use area: signs of binary data.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\ue000-\uf8ff]")


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    return len(_NOT_TEXT.findall(text)) <= max(2, len(text) // 200)


def split_lines(text: str, page: int | None = None, start_no: int = 1) -> list[Line]:
    # Folded whole, then split: the same lines as folding each one (no fold makes or takes away a
    # line break, and NFKC composes nothing across one), at one call instead of one a line.
    return [Line(i, t, page) for i, t in enumerate(fold(text).splitlines(), start=start_no)]


def read_text(data: bytes, source_path: str) -> Source:
    text, encoding = decode_text(data, source_path)
    if "\x00" in text or not _looks_like_text(text):
        raise ExtractionError(
            "unreadable", f"{source_path}: holds binary data, not text; export the packet's text again."
        )
    if not text.strip():
        raise ExtractionError(
            "not_a_packet", f"{source_path}: is empty; export the packet again or remove the file."
        )
    return Source(source_path, sha256_bytes(data), "text", encoding, None, split_lines(text))
