"""Drawing the documents as PDF with fpdf2: the bundled DejaVu Sans font (any script the
catalogues need, on a fresh machine too) and a QR code that opens /verify with the code filled in."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from qrcode.image.pure import PyPNGImage

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
#: Width of the label column in the two-column fact lists, in mm.
LABEL_W = 70


@dataclass
class Page:
    """What one document shows, already translated and formatted; `draw` turns it into PDF bytes."""

    title: str
    #: Small text above the title (who issues it, and when).
    heading: str
    #: (label, value) lines under the title.
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: Paragraphs of body text.
    paragraphs: list[str] = field(default_factory=list)
    #: An optional table: a caption, (label, amount) rows, and a (label, amount) total.
    table_caption: str | None = None
    rows: list[tuple[str, str]] = field(default_factory=list)
    total: tuple[str, str] | None = None
    #: An optional list under a heading (the case's history).
    list_heading: str | None = None
    items: list[str] = field(default_factory=list)
    #: The verification box: its lines of text and the address the QR code opens.
    verify_lines: list[str] = field(default_factory=list)
    verify_url: str = ""
    #: Document language (PDF /Lang, read by screen readers).
    lang: str = "en"


def qr_png(url: str) -> bytes:
    """A QR code of `url` as PNG bytes (pure Python: qrcode + pypng)."""
    image = qrcode.make(url, image_factory=PyPNGImage, border=2, box_size=4)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def draw(page: Page) -> bytes:
    """The PDF bytes of one A4 page (more if the history is long)."""
    pdf = FPDF(format="A4")
    pdf.set_lang(page.lang)
    pdf.set_title(page.title)
    pdf.set_creator("Payment portal")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(width, 5, page.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", 17)
    pdf.multi_cell(width, 9, page.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    pdf.set_font(FONT, "", 10)
    for label, value in page.facts:
        _fact(pdf, label, value, width)
    pdf.ln(3)
    for text in page.paragraphs:
        pdf.multi_cell(width, 5.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    if page.rows or page.total:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(width, 8, page.table_caption or "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        for label, amount in page.rows:
            _row(pdf, label, amount, width, border="B")
        if page.total:
            pdf.set_font(FONT, "B", 11)
            _row(pdf, *page.total, width, border="T")
            pdf.set_font(FONT, "", 10)
        pdf.ln(4)

    if page.items:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(width, 8, page.list_heading or "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9.5)
        for item in page.items:
            pdf.multi_cell(width, 5, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)

    _verification_box(pdf, page, width)
    return bytes(pdf.output())


def _fact(pdf: FPDF, label: str, value: str, width: float) -> None:
    """One "label: value" line; the value wraps in its own column."""
    pdf.set_text_color(90, 90, 90)
    pdf.cell(LABEL_W, 6, label)
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(width - LABEL_W, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _row(pdf: FPDF, label: str, amount: str, width: float, border: str) -> None:
    """One table row with the amount right-aligned."""
    pdf.cell(width - 45, 7, label, border=border)
    pdf.cell(45, 7, amount, border=border, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _verification_box(pdf: FPDF, page: Page, width: float) -> None:
    """The framed box with the code and the QR code, kept whole on one page."""
    qr_size = 30
    box_h = max(qr_size + 8, 8 + 5.5 * len(page.verify_lines) + 6)
    if pdf.get_y() + box_h > pdf.h - pdf.b_margin:
        pdf.add_page()
    top = pdf.get_y() + 2
    pdf.set_draw_color(120, 120, 120)
    pdf.rect(pdf.l_margin, top, width, box_h)
    pdf.image(qr_png(page.verify_url), x=pdf.l_margin + width - qr_size - 4, y=top + 4, w=qr_size, h=qr_size,
              alt_text=page.verify_url)
    pdf.set_xy(pdf.l_margin + 4, top + 4)
    text_w = width - qr_size - 12
    for n, line in enumerate(page.verify_lines):
        pdf.set_font(FONT, "B" if n == 1 else "", 12 if n == 1 else 9.5)
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(text_w, 6 if n == 1 else 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(top + box_h + 2)
