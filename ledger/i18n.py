"""Message catalogs, one per owner: the shell's in ``translations/`` and each module's in its
own package (``<package>/translations/``, :attr:`ledger.platform.Module.translations`), so a
module's strings, templates and translations live together and two modules never edit one
catalog. The app reads all of them (Flask-Babel merges the folders).

``python -m ledger.i18n`` (what ``make i18n`` runs) extracts every catalog's strings from its
sources, merges them into its ``zh`` and ``en`` catalogs (no fuzzy guesses, obsolete entries
dropped) and compiles the ``.mo`` files. The shell's sources are ``ledger/``, ``judicial/``,
``community/`` and ``templates/`` without the packages that own a catalog.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from ledger.platform import registry
from ledger.platform.registry import package_folder

REPO = Path(__file__).resolve().parents[1]
SHELL = REPO / "translations"
LANGS = ("zh", "en")
#: Marker functions whose first argument is a message (beyond gettext's own).
KEYWORDS = ("_l", "N_", "lazy_gettext", "lazy_ngettext:1,2")


@dataclass(frozen=True)
class Catalog:
    """A catalog folder and the source folders it is extracted from (all relative to the
    repository), minus the folders of other catalogs."""

    folder: Path
    sources: tuple[Path, ...]
    ignore: tuple[Path, ...] = ()

    @property
    def pot(self) -> Path:
        return self.folder / "messages.pot"


def catalogs() -> list[Catalog]:
    """The shell's catalog, then each module's."""
    owned = [
        package_folder(m.translations) for m in registry().modules if m.translations is not None
    ]
    shell_sources = tuple(
        p
        for p in (REPO / "ledger", REPO / "judicial", REPO / "community", REPO / "templates")
        if p not in owned
    )
    return [
        Catalog(SHELL, shell_sources, tuple(owned)),
        *(Catalog(folder / "translations", (folder,)) for folder in owned),
    ]


def _run(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def update(catalog: Catalog) -> None:
    """Extract, merge into each language and compile one catalog."""
    catalog.folder.mkdir(parents=True, exist_ok=True)
    ignore = [f"--ignore-dirs=.* ._ {' '.join(p.name for p in catalog.ignore)}"]
    sources = [str(p.relative_to(REPO)) for p in catalog.sources if p.exists()]
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    _run(
        "extract",
        "-F",
        str(SHELL / "babel.cfg"),
        *keywords,
        *(ignore if catalog.ignore else []),
        "--project=carbon-ledger",
        "--version=0.1",
        "--sort-by-file",
        "-o",
        str(catalog.pot),
        *sources,
    )
    for lang in LANGS:
        po = catalog.folder / lang / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []
        _run(command, "-i", str(catalog.pot), "-d", str(catalog.folder), "-l", lang, *extra)
    _run("compile", "-d", str(catalog.folder))


def main() -> int:
    os.chdir(REPO)  # source locations in the catalogs are relative to the repository
    for catalog in catalogs():
        update(catalog)
        print(f"catalog: {catalog.folder.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
