"""Server-side SVG charts: well-formed, escaped, gaps for missing values."""

from xml.etree import ElementTree

from feedback.charts import Series, _axis, line_chart, sparkline


def test_line_chart_is_valid_svg_with_escaped_text():
    """Labels and titles are escaped; the result parses as XML with one line per
    series and a legend entry each."""
    svg = line_chart(
        labels=["01-01", "01-02", "01-03"],
        series=[Series("<b>看</b>", [1, 5, 3]), Series("B&C", [0, 2, 1])],
        title='Views "&" <script>',
    )
    root = ElementTree.fromstring(str(svg))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 2
    assert root.find(f"{ns}title").text == 'Views "&" <script>'
    assert "<script>" not in str(svg) and "<b>" not in str(svg)


def test_missing_values_break_the_line():
    """None leaves a gap: two segments instead of one line through a fake zero."""
    svg = line_chart(
        labels=list("abcde"),
        series=[Series("r", [0.5, None, 0.2, 0.3, None])],
        title="t",
        percent=True,
    )
    root = ElementTree.fromstring(str(svg))  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 1
    assert len(root.findall(f"{ns}circle")) == 1
    assert "100%" in str(svg)


def test_axis_uses_round_steps():
    """The y axis counts in whole, round steps above the highest value."""
    assert _axis(21, False) == (30, 10)
    assert _axis(7, False) == (8, 2)
    assert _axis(2, False) == (2, 1)
    assert _axis(0, False) == (1, 1)
    assert _axis(1234, False) == (1500, 500)


def test_sparkline_handles_all_zero():
    assert "<polyline" in sparkline([0, 0, 0])
    assert sparkline([]) == ""
