"""Plain helpers shared by the end-to-end tests.

Nothing here knows how the server computes its answers: expectations are
built from the simulator's admin API (see ``conftest.AdminApi``) and from the
raw file bytes, read with the small independent readers below.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
import zlib
from typing import Any, Iterable, Iterator

LIST_KEYS = ("total_count", "returned_count", "truncated", "truncation_reason")
TRUNCATION_REASONS = {"none", "max_results", "size_cap", "limit", "both"}
PSEUDO_EMAILS = {"NOONE", "ANY"}


# --------------------------------------------------------------- tool answers


def text_blocks(result) -> list[str]:
    return [b.text for b in result.content if getattr(b, "type", None) == "text"]


def error_text(result) -> str:
    return "\n".join(text_blocks(result))


def payload(result, tool: str = "") -> dict:
    """The JSON answer of a successful tool call.

    Checks that the call succeeded, that the first content block is text
    holding JSON, and that this JSON equals ``structured_content``.
    """
    assert not result.is_error, f"{tool}: unexpected tool error: {error_text(result)[:2000]}"
    assert result.content, f"{tool}: no content blocks"
    first = result.content[0]
    assert getattr(first, "type", None) == "text", f"{tool}: first block is {first!r}, not text"
    body = json.loads(first.text)
    assert result.structured_content is not None, f"{tool}: no structuredContent"
    assert body == result.structured_content, f"{tool}: text block and structuredContent differ"
    return records(body)


def records(body: dict) -> dict:
    """A list answer with its records as objects: the server sends two or
    more as rows of `columns` (null where a record has no such field), with
    what every record shares said once in `every`."""
    columns = body.get("columns")
    if not isinstance(columns, list):
        return body
    key = next((k for k in ("data", "comments") if isinstance(body.get(k), list)), None)
    assert key, f"`columns` without rows: {sorted(body)}"
    every = body.get("every") or {}
    rows = []
    for row in body[key]:
        assert isinstance(row, list) and len(row) == len(columns), f"a row that does not match columns: {row!r}"
        rows.append({**every, **{c: v for c, v in zip(columns, row) if v is not None}})
    return {**{k: v for k, v in body.items() if k not in ("columns", "every")}, key: rows}


def check_list(body: dict, key: str = "data", tool: str = "") -> list:
    """Checks the list metadata of an answer and returns its items."""
    for k in LIST_KEYS:
        assert k in body, f"{tool}: list answer without `{k}`: {sorted(body)}"
    items = body[key]
    assert isinstance(items, list), f"{tool}: `{key}` is not a list"
    assert body["returned_count"] == len(items), f"{tool}: returned_count {body['returned_count']} != {len(items)} items"
    assert body["truncation_reason"] in TRUNCATION_REASONS, f"{tool}: truncation_reason {body['truncation_reason']!r}"
    assert body["truncated"] == (body["truncation_reason"] != "none"), f"{tool}: truncated/truncation_reason disagree"
    if not body["truncated"]:
        assert body["total_count"] == body["returned_count"], f"{tool}: not truncated but total_count != returned_count"
    else:
        assert body["total_count"] > body["returned_count"], f"{tool}: truncated but nothing was cut"
    return items


async def read_offload(c, response_id: str, max_bytes: int | None = None) -> bytes:
    """An offloaded answer's bytes, read chunk by chunk in order."""
    out = b""
    offset = 0
    while True:
        args = {"response_id": response_id, "offset": offset}
        if max_bytes is not None:
            args["max_bytes"] = max_bytes
        chunk = payload(await c.call_tool("read_offloaded_response_text", args), "read_offloaded_response_text")
        assert chunk["offset"] == offset
        assert len(chunk["content"].encode()) == chunk["returned_bytes"]
        out += chunk["content"].encode()
        if not chunk["has_more"]:
            assert chunk.get("next_offset") is None
            assert len(out) == chunk["total_size_bytes"]
            return out
        offset = chunk["next_offset"]


async def whole_answer(c, name: str, args: dict, key: str = "data") -> dict:
    """A tool's whole answer as one body: an offloaded object answer read
    back from its offload, a paged list walked page by page (each page
    checked), with the items of every page in order. The counts then
    describe the whole: `returned_count` is every item walked."""
    body = payload(await c.call_tool(name, args), name)
    if body.get("offloaded") is True:
        return records(json.loads(await read_offload(c, body["response_id"])))
    if key not in body or "next_cursor" not in body:
        return body
    items = list(check_list(body, key, name))
    page = body
    while "next_cursor" in page:
        page = payload(await c.call_tool(name, {**args, "cursor": page["next_cursor"]}), name)
        items.extend(check_list(page, key, name))
        assert page["total_count"] == body["total_count"], f"{name}: total_count changed between pages"
    merged = {k: v for k, v in body.items() if k not in ("next_cursor", "offload_id", "response_id")}
    merged[key] = items
    merged["returned_count"] = len(items)
    cut = len(items) < merged["total_count"]
    merged["truncated"] = cut
    merged["truncation_reason"] = "max_results" if cut else "none"
    return merged


def ids(items: Iterable[dict], key: str = "id") -> list[str]:
    return [str(x[key]) for x in items]


def id_names(items: Iterable[dict], name: str = "name") -> list[tuple[str, str]]:
    return [(str(x["id"]), x[name]) for x in items]


# --------------------------------------------------------------- task trees


def walk(tasks: Iterable[dict], parent: dict | None = None, ancestors: tuple = ()) -> Iterator[tuple[dict, tuple]]:
    """Every task of a nested list (subtasks under `child`), depth first,
    with the tuple of its ancestors."""
    for t in tasks:
        yield t, ancestors
        yield from walk(t.get("child") or [], t, ancestors + (t,))


def flatten(tasks: Iterable[dict]) -> list[dict]:
    return [t for t, _ in walk(tasks)]


def tree_ids(tasks: Iterable[dict]) -> list:
    """A nested list of ids mirroring the `child` structure."""
    return [(str(t["id"]), tree_ids(t.get("child") or [])) for t in tasks]


def is_open(t: dict) -> bool:
    return t["status"] != "done"


def due(t: dict) -> dt.date | None:
    d = t.get("date_end")
    return dt.date.fromisoformat(d[:10]) if d else None


def is_overdue(t: dict, today: dt.date) -> bool:
    d = due(t)
    return is_open(t) and d is not None and d < today


def page_of(t: dict) -> str:
    """A task's page, from its compact shape (project_id, parent_id, id)."""
    if "page" in t:
        return t["page"]
    parent = f"{t['parent_id']}/" if "parent_id" in t else ""
    return f"/project/{t['project_id']}/{parent}{t['id']}/"


def assignee_id(t: dict) -> str | None:
    u = t.get("user_to") or {}
    if not u or u.get("email") in PSEUDO_EMAILS:
        return None
    return str(u["id"])


# --------------------------------------------------------------- time and money


def minutes(hm: str) -> int:
    """Worksection's `H:MM` as minutes."""
    m = re.fullmatch(r"(\d+):([0-5]\d)", hm.strip())
    assert m, f"not an H:MM time: {hm!r}"
    return int(m.group(1)) * 60 + int(m.group(2))


def cents(money: str | int | float) -> int:
    """A decimal money string as integer cents."""
    s = str(money).strip()
    m = re.fullmatch(r"(-?)(\d+)(?:\.(\d{1,2}))?", s)
    assert m, f"not a money amount: {money!r}"
    whole = int(m.group(2)) * 100 + int((m.group(3) or "0").ljust(2, "0"))
    return -whole if m.group(1) else whole


def ddmmyyyy(d: dt.date) -> str:
    return d.strftime("%d.%m.%Y")


# --------------------------------------------------------------- files


def sniff_mime(data: bytes, name: str) -> str:
    """The MIME type of a file from its bytes (and, for text, its name)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        if "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if "ppt/presentation.xml" in names:
            return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        return "application/zip"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "txt": "text/plain",
        "md": "text/markdown",
        "csv": "text/csv",
        "json": "application/json",
    }.get(ext, "application/octet-stream")


def check_png(data: bytes) -> tuple[int, int]:
    """Checks a PNG's structure (signature, chunk CRCs, IHDR first, IEND last,
    image data that inflates to the declared size); returns (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "no PNG signature"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length : pos + 12 + length], "big")
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND", [k for k, _ in chunks]
    ihdr = chunks[0][1]
    width, height = int.from_bytes(ihdr[0:4], "big"), int.from_bytes(ihdr[4:8], "big")
    depth, color = ihdr[8], ihdr[9]
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    row = (width * channels * depth + 7) // 8
    assert len(zlib.decompress(idat)) == height * (row + 1), "image data does not match the header"
    return width, height


def check_jpeg(data: bytes) -> None:
    """Checks a JPEG's start and end markers and that it has a frame header."""
    assert data[:3] == b"\xff\xd8\xff", "no JPEG start-of-image marker"
    assert data.rstrip(b"\x00")[-2:] == b"\xff\xd9", "no JPEG end-of-image marker"
    assert b"\xff\xc0" in data or b"\xff\xc2" in data, "no JPEG frame header"


def check_image(data: bytes, mime: str) -> None:
    if mime == "image/png":
        w, h = check_png(data)
        assert w > 0 and h > 0
    elif mime == "image/jpeg":
        check_jpeg(data)
    else:
        raise AssertionError(f"unexpected image type {mime}")


def norm_ws(s: str) -> str:
    return " ".join(s.split())


def _pdf_string(raw: bytes) -> str:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):  # backslash
            n = raw[i + 1]
            simple = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
            if n in simple:
                out.append(simple[n])
                i += 2
            elif 0x30 <= n <= 0x37:
                j = i + 1
                digits = b""
                while j < len(raw) and len(digits) < 3 and 0x30 <= raw[j] <= 0x37:
                    digits += bytes([raw[j]])
                    j += 1
                out.append(int(digits, 8) & 0xFF)
                i = j
            elif n in (0x0A, 0x0D):
                i += 2
            else:
                out.append(n)
                i += 2
        else:
            out.append(c)
            i += 1
    return out.decode("cp1252", errors="replace")


def pdf_lines(data: bytes) -> list[str]:
    """Text shown with `Tj` in a PDF's (Flate-compressed or plain) content streams."""
    lines: list[str] = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        body = m.group(1)
        try:
            body = zlib.decompress(body)
        except zlib.error:
            pass
        for s in re.finditer(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", body, re.S):
            lines.append(_pdf_string(s.group(1)))
    return [l for l in lines if l.strip()]


def _xml_text(xml: str, tag: str) -> list[str]:
    return [_unescape(t) for t in re.findall(rf"<{tag}(?:\s[^>]*)?>([^<]*)</{tag}>", xml)]


def _unescape(s: str) -> str:
    return (
        s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def docx_paragraphs(data: bytes) -> list[str]:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    paras = []
    for p in re.findall(r"<w:p[ >].*?</w:p>", xml, re.S):
        text = "".join(_xml_text(p, "w:t"))
        if text.strip():
            paras.append(text)
    return paras


def xlsx_cells(data: bytes) -> list[str]:
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    shared: list[str] = []
    if "xl/sharedStrings.xml" in names:
        xml = z.read("xl/sharedStrings.xml").decode("utf-8")
        for si in re.findall(r"<si>(.*?)</si>", xml, re.S):
            shared.append("".join(_xml_text(si, "t")))
    cells: list[str] = []
    for n in sorted(x for x in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", x)):
        xml = z.read(n).decode("utf-8")
        for attrs, inner in re.findall(r"<c\b([^>]*)>(.*?)</c>", xml, re.S):
            kind = re.search(r'\bt="([^"]+)"', attrs)
            kind = kind.group(1) if kind else "n"
            if kind == "s":
                v = re.search(r"<v>([^<]*)</v>", inner)
                cells.append(shared[int(v.group(1))])
            elif kind == "inlineStr":
                cells.append("".join(_xml_text(inner, "t")))
            else:
                v = re.search(r"<v>([^<]*)</v>", inner)
                if v:
                    num = float(v.group(1))
                    cells.append(str(int(num)) if num.is_integer() else v.group(1))
    return [c for c in cells if c.strip()]


def xlsx_sheet_names(data: bytes) -> list[str]:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode("utf-8")
    return [_unescape(n) for n in re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', xml)]


def pptx_texts(data: bytes) -> list[str]:
    z = zipfile.ZipFile(io.BytesIO(data))
    slides = sorted(
        (n for n in z.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)),
        key=lambda n: int(re.search(r"(\d+)", n.rsplit("/", 1)[1]).group(1)),
    )
    out = []
    for n in slides:
        out.extend(t for t in _xml_text(z.read(n).decode("utf-8"), "a:t") if t.strip())
    return out


def document_phrases(data: bytes, name: str) -> list[str]:
    """The text an independent reader finds in a document."""
    mime = sniff_mime(data, name)
    if mime == "application/pdf":
        return pdf_lines(data)
    if mime.endswith("wordprocessingml.document"):
        return docx_paragraphs(data)
    if mime.endswith("spreadsheetml.sheet"):
        return xlsx_cells(data) + xlsx_sheet_names(data)
    if mime.endswith("presentationml.presentation"):
        return pptx_texts(data)
    return [data.decode("utf-8")]


def dump(value: Any, limit: int = 600) -> str:
    s = json.dumps(value, ensure_ascii=False, default=str)
    return s if len(s) <= limit else s[:limit] + "…"
