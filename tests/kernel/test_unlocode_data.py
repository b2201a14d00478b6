"""The UN/LOCODE list the package ships, and tools/unlocode.py that makes it from a release."""

import gzip
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from services.kernel import refdata

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "unlocode.py"
SHIPPED = resources.files("services.kernel") / "data" / refdata.UNLOCODE_FILE


def shipped_lines() -> list[str]:
    return gzip.decompress(SHIPPED.read_bytes()).decode("ascii").splitlines()


def release_of_shipped_list() -> str:
    return shipped_lines()[0].removeprefix("# UN/LOCODE ").split(" ", 1)[0]


def make_list(folder: Path, output: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), str(folder), "--output", str(output), *options],
                          capture_output=True, text=True, check=False)


def official_row(change: str, country: str, location: str, name: str, function: str = "1-3-----") -> str:
    return f'"{change}","{country}","{location}","{name}","{name}","","{function}","AI","2301","","",""\r\n'


def test_the_shipped_list_is_what_the_script_makes_of_the_shared_release(external: Path, tmp_path: Path) -> None:
    release = release_of_shipped_list()
    made = make_list(external / "unlocode", tmp_path / "unlocode.txt", "--release", release)
    assert made.returncode == 0, made.stderr
    [header, *codes] = (tmp_path / "unlocode.txt").read_text(encoding="ascii").splitlines()
    assert header.startswith(f"# UN/LOCODE {release} ")
    countries = {path.stem for path in (external / "unlocode").glob("*.csv")}
    assert countries == {"JP", "KH", "LA", "MM", "TH", "VN"}
    shipped = [code for code in shipped_lines()[1:] if code[:2] in countries]
    assert shipped == codes, "regenerate the list with tools/unlocode.py from the release ../shared holds"


def test_the_shipped_list_names_its_release_and_holds_the_world() -> None:
    [header, *codes] = shipped_lines()
    assert header.startswith("# UN/LOCODE 20")
    assert f": {len(codes)} codes." in header
    assert codes == sorted(set(codes))
    assert len({code[:2] for code in codes}) > 240
    assert refdata.locodes() == frozenset(codes)


@pytest.mark.parametrize(
    ("country", "at_least"),
    # Release 2023-2 has JP 2164, KH 26, LA 48, MM 78, TH 205, VN 240; the locode package
    # (2015 data) had KH 5, LA 5, MM 5, TH 86, VN 137, which a hand list had to patch.
    [("JP", 2100), ("KH", 25), ("LA", 45), ("MM", 75), ("TH", 200), ("VN", 230)],
)
def test_japan_and_the_mekong_countries_are_covered(country: str, at_least: int) -> None:
    assert sum(code.startswith(country) for code in refdata.locodes()) >= at_least


@pytest.mark.parametrize("code", ["VNSGN", "THLCH", "KHPNH", "KHKOS", "LAVTE", "MMRGN", "MMTLA", "JPYOK",
                                  "IMDGS", "SGSIN"])
def test_known_ports_are_in_the_list(code: str) -> None:
    assert refdata.is_locode(code)


@pytest.mark.parametrize("code", ["VNHCM", "THZZZ", "KHQQQ", "XXABC", "vnsgn", "VNSG", "UN/LOCODE"])
def test_made_up_codes_are_not(code: str) -> None:
    assert not refdata.is_locode(code)


def test_the_script_reads_the_official_release_files(tmp_path: Path) -> None:
    release = tmp_path / "loc241csv"
    release.mkdir()
    (release / "2024-1 UNLOCODE CodeListPart1.csv").write_bytes((
        official_row("", "KH", "", ".CAMBODIA")
        + official_row("=", "KH", "", "Sihanoukville = Kâmpóng Saôm")
        + official_row("", "KH", "PPT", "Paôy Pêt (Poipet)")
        + official_row("", "KH", "PPT", "Poipet (Paôy Pêt)")
        + official_row("X", "KH", "ZZ2", "To be removed in the next release")
        + official_row("", "KH", "KOS", "Kâmpóng Saôm")
    ).encode("latin-1"))
    (release / "2024-1 UNLOCODE CodeListPart2.csv").write_bytes(official_row("+", "IM", "DGS", "Douglas").encode())
    made = make_list(release, tmp_path / "unlocode.txt")
    assert made.returncode == 0, made.stderr
    [header, *codes] = (tmp_path / "unlocode.txt").read_text(encoding="ascii").splitlines()
    assert header.startswith("# UN/LOCODE 2024-1 (UNECE")
    assert ": 4 codes." in header
    assert codes == ["IMDGS", "KHKOS", "KHPPT", "KHZZ2"]


def test_the_script_writes_the_same_bytes_for_the_same_release(tmp_path: Path) -> None:
    (tmp_path / "VN.csv").write_text(official_row("", "VN", "SGN", "Ho Chi Minh City"), encoding="utf-8")
    first, second = tmp_path / "first.txt.gz", tmp_path / "second.txt.gz"
    assert make_list(tmp_path, first, "--release", "2023-2").returncode == 0
    assert make_list(tmp_path, second, "--release", "2023-2").returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()).decode("ascii").endswith("\nVNSGN\n")


@pytest.mark.parametrize(
    ("content", "options", "reason"),
    [
        (official_row("", "VN", "SGN", "Ho Chi Minh City"), (), "do not say which release they are"),
        (official_row("", "VN", "SGN", "Ho Chi Minh City"), ("--release", "2023"), "is not a release name"),
        (official_row("", "VN", "sgn", "Ho Chi Minh City"), ("--release", "2023-2"), "VN.csv:1: 'VN' 'sgn'"),
        ('"","VN","SGN"\r\n', ("--release", "2023-2"), "VN.csv:1: 3 columns"),
    ],
    ids=["no-release", "bad-release-name", "bad-code", "short-row"],
)
def test_the_script_refuses_what_is_not_a_release(
    tmp_path: Path, content: str, options: tuple[str, ...], reason: str
) -> None:
    (tmp_path / "VN.csv").write_text(content, encoding="utf-8")
    made = make_list(tmp_path, tmp_path / "out.txt", *options)
    assert made.returncode == 1
    assert reason in made.stderr
    assert not (tmp_path / "out.txt").exists()
