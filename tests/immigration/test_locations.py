"""The country of a journey's end."""

import pytest

from services.immigration.locations import country_of


@pytest.mark.parametrize(
    ("location", "country"),
    [("VNSGN", "VN"), ("KHPNH", "KH"), ("BKK", "TH"), ("HAN", "VN"), ("RGN", "MM"), ("VTE", "LA"), ("NRT", "JP"),
     ("KTI", "KH"), ("PNH", "KH"), ("REP", "KH"), ("ZZZ", None)],
)
def test_country_of_a_locode_or_airport(location: str, country: str | None) -> None:
    assert country_of(location) == country
