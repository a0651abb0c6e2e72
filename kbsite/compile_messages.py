"""Compile locale/*/LC_MESSAGES/django.po to .mo with polib, so no gettext is needed.

Run by `make messages`; the compiled .mo files are committed so a fresh machine
without GNU gettext serves both languages.
"""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def main() -> None:
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"{po_path.relative_to(LOCALE)}: {po.percent_translated()}% translated")


if __name__ == "__main__":
    main()
