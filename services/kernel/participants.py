"""The participants of the exchange network, by ISO 3166-1 alpha-2 code."""

PARTICIPANTS = {
    "JP": "Japan", "KH": "Cambodia", "LA": "Lao PDR", "MM": "Myanmar", "TH": "Thailand", "VN": "Viet Nam",
}
OPERATOR = "OPERATOR"
"""The network operator's identity: reads everything, sends nothing."""
