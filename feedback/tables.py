"""Report tables: one description serves the HTML table and its CSV download.

CSV is UTF-8 with a byte-order mark so Excel opens Chinese text correctly.
"""

import csv
import io
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.text import slugify


@dataclass
class Link:
    """A cell shown as a link in HTML and as its text in CSV."""

    text: object
    url: str

    def __str__(self):
        return str(self.text)


@dataclass
class Spark:
    """A trend cell: a sparkline in HTML, the daily numbers in CSV."""

    values: list[int]

    def __str__(self):
        return " ".join(str(v) for v in self.values)


@dataclass
class Table:
    slug: str  # names the CSV download: ?csv=<slug>
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    empty: str = ""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_response(table: Table, *, filename: str | None = None) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )
    name = filename or slugify(table.slug) or "report"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
