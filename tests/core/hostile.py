"""Hostile workbooks: small files that claim, or unpack to, far more than a ledger ever holds. Each is
built by hand (no spreadsheet library would write them), streamed into the zip so that building one
costs this process little memory.

Every builder returns the .xlsx bytes; HOSTILE names them for the tests and the memory figures.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, sheets + 1))
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>")


def workbook(sheet: Iterable[bytes], *, shared_strings: Iterable[bytes] | None = None, sheets: int = 1,
             extra: dict[str, bytes] | None = None, stored: bool = False, styles: bytes | None = None) -> bytes:
    """A workbook whose first sheet's XML is the chunks of `sheet` (and, if given, a shared-strings
    part); `sheets` - 1 further small sheets. Chunks are compressed as they come; a `stored` sheet is
    not compressed at all, so no compression ratio gives it away."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _content_types(sheets))
        archive.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
                         f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
                         "</Relationships>")
        names = "".join(f'<sheet name="S{n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, sheets + 1))
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
                         f'xmlns:r="{REL}"><sheets>{names}</sheets></workbook>')
        rels = "".join(f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                       for n in range(1, sheets + 1))
        if shared_strings is not None:
            rels += f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        if styles is not None:
            rels += f'<Relationship Id="rIdT" Type="{REL}/styles" Target="styles.xml"/>'
            archive.writestr("xl/styles.xml", styles)
        archive.writestr("xl/_rels/workbook.xml.rels",
                         f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">{rels}</Relationships>')
        first = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        first.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        with archive.open(first, "w", force_zip64=True) as part:
            for chunk in sheet:
                part.write(chunk)
        for n in range(2, sheets + 1):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", _sheet_head() + b"</sheetData></worksheet>")
        if shared_strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_strings:
                    part.write(chunk)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def _sheet_head(dimension: str = "A1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<dimension ref="{dimension}"/><sheetData>').encode()


def _sheet(rows: Iterable[bytes], dimension: str = "A1") -> Iterator[bytes]:
    yield _sheet_head(dimension)
    yield from rows
    yield b"</sheetData></worksheet>"


def _batched(pieces: Iterable[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    buffer: list[bytes] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(buffer)
            buffer, held = [], 0
    yield b"".join(buffer)


# ------------------------------------------------------------------ the hostile files


def far_corner() -> bytes:
    """Two cells, A1 and the last cell a ledger may reach (200 columns, 200,000 rows), the second with
    its attributes in another order than a naive scan expects: a reader that allocates the rectangle
    between them asks for 40 million cells."""
    return workbook(_sheet([b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>',
                            b'<row r="200000"><c t="inlineStr" r="GR200000"><is><t>x</t></is></c></row>'],
                           dimension="A1:GR200000"))


def huge_dimension() -> bytes:
    """A sparse sheet that declares the whole Excel grid and puts a cell in its last corner."""
    return workbook(_sheet([b'<row r="1"><c r="A1"><v>1</v></c></row>',
                            b'<row r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>'],
                           dimension="A1:XFD1048576"))


def wide_rows() -> bytes:
    """Rows of 16,384 cells without `r` attributes (positions come from counting), 300 of them."""
    row = b"<row>" + b"<c><v>1</v></c>" * 16_384 + b"</row>"
    return workbook(_sheet(_batched(row for _ in range(300))))


def bomb() -> bytes:
    """About 470 MB of XML in a few hundred KB: a sheet padded with an element no reader keeps."""
    filler = b"<extLst>" + b" " * (1 << 20) + b"</extLst>"

    def rows() -> Iterator[bytes]:
        yield b'<row r="1"><c r="A1"><v>1</v></c></row>'
        for _ in range(470):
            yield filler

    return workbook(_sheet(rows()))


def shared_strings() -> bytes:
    """Three million distinct short strings in the shared-strings table, and a sheet of one cell."""
    count = 3_000_000

    def table() -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode()
        yield from _batched(b"<si><t>%d</t></si>" % n for n in range(count))
        yield b"</sst>"

    return workbook(_sheet([b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>']), shared_strings=table())


def long_cell() -> bytes:
    """One cell of 50 million characters."""
    def rows() -> Iterator[bytes]:
        yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
        for _ in range(50):
            yield b"x" * 1_000_000
        yield b"</t></is></c></row>"

    return workbook(_sheet(rows()))


def long_tag() -> bytes:
    """One start tag of 200 MB (an attribute no reader needs): a parser must hold a whole tag."""
    def rows() -> Iterator[bytes]:
        yield b'<row r="1" x="'
        for _ in range(200):
            yield b"y" * 1_000_000
        yield b'"><c r="A1"><v>1</v></c></row>'

    return workbook(_sheet(rows()))


def wide_row_stored() -> bytes:
    """One row of a million cells, uncompressed (15 MB): only counting the columns stops it."""
    return workbook(_sheet(_batched([b"<row>", *[b"<c><v>1</v></c>"] * 1_000_000, b"</row>"])), stored=True)


def long_cell_stored() -> bytes:
    """One cell of ten million characters, uncompressed, in runs of rich text small enough to pass as
    separate tags: only the cell-length cap stops it."""
    run = b"<r><t>" + b"x" * 60_000 + b"</t></r>"
    return workbook(_sheet(_batched([b'<row r="1"><c r="A1" t="inlineStr"><is>', *[run] * 160,
                                     b"</is></c></row>"])), stored=True)


def long_tag_stored() -> bytes:
    """One start tag of 15 MB, uncompressed: a parser holds a whole tag, so it is refused unread."""
    return workbook(_sheet([b'<row r="1" x="', b"y" * 15_000_000, b'"><c r="A1"><v>1</v></c></row>']),
                    stored=True)


def cdata() -> bytes:
    """A CDATA section, where '<' may appear freely: Excel never writes one."""
    return workbook(_sheet([b'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<x>]]></t></is></c></row>']))


def many_sheets() -> bytes:
    return workbook(_sheet([b'<row r="1"><c r="A1"><v>1</v></c></row>']), sheets=3000)


def many_entries() -> bytes:
    """A valid workbook plus 200,000 empty zip entries: the zip directory alone is megabytes."""
    out = io.BytesIO(workbook(_sheet([b'<row r="1"><c r="A1"><v>1</v></c></row>'])))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_STORED) as archive:
        for n in range(200_000):
            archive.writestr(f"x/{n}", b"")
    return out.getvalue()


def laughs() -> bytes:
    """The "billion laughs": nested entities that expand to gigabytes, in the sheet's DOCTYPE."""
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="{MAIN}"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>')
    return workbook([sheet.encode()])


def external_entity() -> bytes:
    """An external entity naming a file on the server."""
    sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
             f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c>'
             "</row></sheetData></worksheet>")
    return workbook([sheet.encode()])


def truncated() -> bytes:
    """A workbook cut off half-way, as a broken download leaves it."""
    content = workbook(_sheet([b'<row r="1"><c r="A1"><v>1</v></c></row>']))
    return content[: len(content) // 2]


def bad_xml() -> bytes:
    return workbook([_sheet_head() + b'<row r="1"><c r="A1"><v>1</v></row></sheetData></worksheet>'])


def xls_posing() -> bytes:
    """An old .xls (or an encrypted .xlsx): an OLE compound file, renamed .xlsx."""
    return bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 4096


def ods_posing() -> bytes:
    """An OpenDocument spreadsheet renamed .xlsx."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                         'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    return out.getvalue()


HOSTILE: dict[str, Callable[[], bytes]] = {
    "far_corner": far_corner, "huge_dimension": huge_dimension, "wide_rows": wide_rows, "bomb": bomb,
    "shared_strings": shared_strings, "long_cell": long_cell, "long_tag": long_tag, "many_sheets": many_sheets,
    "wide_row_stored": wide_row_stored, "long_cell_stored": long_cell_stored, "long_tag_stored": long_tag_stored,
    "cdata": cdata, "many_entries": many_entries, "laughs": laughs, "external_entity": external_entity, "truncated": truncated,
    "bad_xml": bad_xml, "xls_posing": xls_posing, "ods_posing": ods_posing,
}
