"""Make the UN/LOCODE list the rules check against from an official release.

UNECE publishes UN/LOCODE twice a year as CSV files of twelve columns (change, country,
location, name, name without diacritics, subdivision, function, status, date, IATA,
coordinates, remarks): the three ``<release> UNLOCODE CodeListPart<n>.csv`` files of the
release zip, or the same rows split into one file per country (``locodes/<CC>.csv`` in
uncefact/vocab-locode). The product needs none of the names, only whether a code exists,
so it ships one code per line, gzipped (``services/kernel/data/unlocode.txt.gz``, about
a third of a megabyte instead of nine), read once into a frozenset.

Every row with a location code is a code, including those the release marks for removal
in the next one (``X``): until then they are valid. Reference rows (``=``, "Rangoon =
Yangon") and country rows (no location) are not. A code listed twice (one row per
spelling of the name) is written once. The output depends only on the rows: same release
in, same bytes out, whatever the file names, their order or their encoding (the official
files are Latin-1, the per-country ones UTF-8; the two code columns are ASCII in both).

Run after each release::

    python tools/unlocode.py '/path/to/loc242csv'             # release read from the file names
    python tools/unlocode.py /path/to/locodes --release 2023-2  # per-country files say no release

then commit the new file, and the test data that changed with it.
"""

import argparse
import csv
import gzip
import io
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "services" / "kernel" / "data" / "unlocode.txt.gz"
HEADER = "# UN/LOCODE {release} (UNECE, https://unece.org/trade/uncefact/unlocode): {count} codes. " \
         "Made by tools/unlocode.py from the release files; do not edit.\n"
COLUMNS = 12
REFERENCE_ROW = "="
COUNTRY = re.compile(r"[A-Z]{2}")
# The UN/LOCODE manual promises letters and the digits 2-9, but a release holds the codes
# it holds (2023-2 has DE9B0, DEB90 and IT940): a fact is copied, not corrected.
LOCATION = re.compile(r"[A-Z0-9]{3}")
RELEASE = re.compile(r"\d{4}-\d")
RELEASE_FILE = re.compile(r"(?P<release>\d{4}-\d) UNLOCODE CodeListPart\d\.csv")


class ReleaseError(Exception):
    """The folder is not a UN/LOCODE release this script understands."""


def release_of(files: Iterable[Path]) -> str | None:
    """The release the official files name (``2024-2 UNLOCODE CodeListPart1.csv``), if they do."""
    named = {match["release"] for path in files if (match := RELEASE_FILE.fullmatch(path.name))}
    if len(named) > 1:
        raise ReleaseError(f"the files name more than one release: {', '.join(sorted(named))}")
    return named.pop() if named else None


def codes_of(path: Path) -> Iterator[str]:
    """The codes of one release file; an unexpected row stops the run, naming file and line."""
    with path.open(encoding="latin-1", newline="") as handle:
        for line, row in enumerate(csv.reader(handle), start=1):
            if not row:
                continue
            if len(row) != COLUMNS:
                raise ReleaseError(f"{path.name}:{line}: {len(row)} columns, a UN/LOCODE row has {COLUMNS}")
            change, country, location = row[0], row[1], row[2]
            if change == REFERENCE_ROW or not location or (line == 1 and country == "Country"):  # or a title row
                continue
            if not COUNTRY.fullmatch(country) or not LOCATION.fullmatch(location):
                raise ReleaseError(f"{path.name}:{line}: {country!r} {location!r} is not a UN/LOCODE")
            yield country + location


def compact_list(folder: Path, *, release: str | None = None) -> str:
    """The text of the compact file for the release in ``folder``: header, then sorted codes."""
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise ReleaseError(f"no .csv file in {folder}")
    release = release or release_of(files)
    if release is None:
        raise ReleaseError(f"the file names in {folder} do not say which release they are: name it with --release")
    if not RELEASE.fullmatch(release):
        raise ReleaseError(f"{release!r} is not a release name such as 2024-2")
    codes = sorted({code for path in files for code in codes_of(path)})
    return HEADER.format(release=release, count=len(codes)) + "".join(f"{code}\n" for code in codes)


def gzipped(text: str) -> bytes:
    """``text`` gzipped without a time stamp or file name, so that equal text gives equal bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as archive:
        archive.write(text.encode("ascii"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder holding the release's CSV files")
    parser.add_argument("--release", help="release name, e.g. 2024-2 (default: read from the file names)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"file to write (default: {OUTPUT})")
    args = parser.parse_args(argv)
    try:
        text = compact_list(args.folder, release=args.release)
    except (ReleaseError, OSError) as error:
        sys.stderr.write(f"unlocode: {error}\n")
        return 1
    data = gzipped(text) if args.output.suffix == ".gz" else text.encode("ascii")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    sys.stdout.write(f"wrote {args.output}\n{text.partition(chr(10))[0]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
