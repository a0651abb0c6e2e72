"""Build small Word files for the tests with python-docx (no binary fixtures)."""

import struct
import zlib
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn


def png_bytes(width=2, height=2, rgb=(200, 30, 30)) -> bytes:
    """A real PNG image, made by hand."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def add_link(paragraph, url, text):
    part = paragraph.part
    rel = part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def build_manual(path: Path, tmp: Path) -> Path:
    """员工手册: a title, two chapters, a sub-heading, lists, a table, an image."""
    document = docx.Document()
    document.add_heading("员工手册", level=1)
    document.add_paragraph("本手册适用于全体客服。")
    document.add_heading("退款处理", level=2)
    p = document.add_paragraph("退款需要")
    p.add_run("主管审批").bold = True
    p.add_run("，并且")
    p.add_run("当天处理").italic = True
    p.add_run("。详见")
    add_link(p, "https://example.com/refund", "退款规则")
    document.add_heading("审批细节", level=3)
    document.add_paragraph("核实订单", style="List Bullet")
    document.add_paragraph("检查金额", style="List Bullet")
    document.add_paragraph("第一步 登记", style="List Number")
    document.add_paragraph("第二步 审批", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate(
        [("项目", "时限"), ("退款到账", "3-5 天"), ("换货", "7 天")]
    ):
        table.cell(r, 0).text = a
        table.cell(r, 1).text = b
    image = tmp / "pic.png"
    image.write_bytes(png_bytes())
    document.add_picture(str(image))
    document.add_heading("联系我们", level=2)
    document.add_paragraph("热线 400-800-0000")
    document.save(str(path))
    return path
