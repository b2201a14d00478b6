"""One PAXLST person group (NAD, ATT, DTM, MEA, FTX, LOC, NAT, RFF, then DOC groups) as a manifest Person."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from services.kernel.edifact.baggage import BaggageGroup
from services.kernel.edifact.segments import IssueLog, Segment
from services.kernel.edifact.values import EXPECTED, code, fits, iso_date, name, read_dtm, reference
from services.kernel.messages.immigration import PersonV1_1Type, TravelDocumentType

PERSON_ROLES = frozenset({"FL", "FM", "DDU", "DDT", "COT", "ZZZ"})
"""NAD qualifiers that open a person group: passenger, crew, in transit, crew in transit."""

_GENDERS = frozenset({"M", "F", "X", "U"})

_PERSON_LOCATIONS = {
    "22": "FirstArrivalLocationID",  # where the person is cleared, not the port of embarkation
    "178": "EmbarkationLocationID",
    "179": "DisembarkationLocationID",
    "174": "ResidenceCountryCode",
}
_RFF_FIELDS = {"AVF": "ReservationID", "SEA": "SeatID"}


class PersonGroup:
    """Collects one person's segments; ``to_json`` gives the Person in the model's JSON shape."""

    def __init__(self, nad: Segment, *, sequence: int, log: IssueLog, reference: dt.date) -> None:
        self._nad = nad
        # Its warnings name the person (index in Person: the sequence counts from 1); a person
        # who cannot be named refuses the manifest, so that error stays on the manifest's log.
        self._manifest_log = log
        log = log.about(f"/Person/{sequence - 1}")
        self._log = log
        self._reference = reference
        self._fields: dict[str, object] = {"SequenceNumeric": sequence, "RoleCode": nad.value(0)}
        self._documents: list[dict[str, object]] = []
        # The DOC group that DTM+36 and LOC+91 belong to; None after a DOC that was left
        # out, so its expiry and issuer are not pinned on the previous document.
        self._document: dict[str, object] | None = None
        self._seen_document = False
        self._references: list[dict[str, object]] = []
        self._baggage = BaggageGroup(log)
        parts = nad.components(3)
        self._set("Surname", name(parts[:1]), segment=nad)
        self._set("GivenNames", name(parts[1:]), segment=nad)

    def add(self, segment: Segment) -> None:
        handler = {
            "ATT": self._att,
            "DTM": self._dtm,
            "LOC": self._loc,
            "NAT": self._nat,
            "RFF": self._rff,
            "DOC": self._doc,
            "MEA": self._baggage.mea,
            "FTX": self._baggage.ftx,
        }.get(segment.tag)
        if handler is not None:
            handler(segment)

    def to_json(self) -> dict[str, object] | None:
        if "Surname" not in self._fields:
            self._manifest_log.error(
                "PAXLST_MISSING_VALUE",
                f"{self._nad} (NAD+{self._nad.value(0)}) has no surname; expected NAD+{self._nad.value(0)}"
                "+++SURNAME:GIVEN NAMES. A person who cannot be named cannot be screened.",
                at=self._nad,
            )
            return None
        person = dict(self._fields)
        if self._documents:
            person["TravelDocument"] = self._documents
        if self._references:
            person["Reference"] = self._references
        if (baggage := self._baggage.to_json()) is not None:
            person["Baggage"] = baggage
        return {key: person[key] for key in PersonV1_1Type.model_fields if key in person}

    def _att(self, segment: Segment) -> None:
        if segment.value(0) != "2":
            self._log.ignore(segment, f"ATT+{segment.value(0)}", "a person's attribute other than sex (ATT+2)")
            return
        gender = code(segment.value(2))
        if gender and gender not in _GENDERS:
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{segment} (ATT+2) gives sex {gender!r}; expected M, F, X or U. Recorded as U.",
                at=segment,
            )
            gender = "U"
        self._set("GenderCode", gender, segment=segment)

    def _dtm(self, segment: Segment) -> None:
        qualifier = segment.value(0, 0)
        if qualifier == "329":
            read = read_dtm(segment, birth=True, reference=self._reference, log=self._log)
            if read is not None:
                self._set("BirthDate", iso_date(read[0]), segment=segment)
        elif qualifier == "36" and self._open_document(segment) and self._document is not None:
            read = read_dtm(segment, birth=False, reference=self._reference, log=self._log)
            if read is not None:
                self._set("ExpiryDate", iso_date(read[0]), segment=segment, target=self._document)
        elif qualifier != "36":
            self._log.ignore(segment, f"DTM+{qualifier}", "a person's date other than birth (329) or a "
                             "document's expiry (36)")

    def _loc(self, segment: Segment) -> None:
        qualifier, place = segment.value(0), segment.value(1)
        if qualifier in _PERSON_LOCATIONS:
            self._set(_PERSON_LOCATIONS[qualifier], code(place), segment=segment)
        elif qualifier == "180":
            # The birthplace is usually free text in the location-name component (:::name).
            self._set("BirthPlaceName", name([segment.value(1, 3) or place]), segment=segment)
        elif qualifier == "91":
            if self._open_document(segment) and self._document is not None:
                # An empty LOC+91+ only says the issuer is not known.
                self._set("IssuerCountryCode", code(place), segment=segment, target=self._document)
        else:
            self._log.ignore(segment, f"LOC+{qualifier}", "a person's place other than first arrival (22), "
                             "residence (174), embarkation (178), disembarkation (179), birth (180) or a "
                             "document's issuer (91)")

    def _nat(self, segment: Segment) -> None:
        if segment.value(0) == "2":
            self._set("NationalityCode", code(segment.value(1)), segment=segment)
        else:
            self._log.ignore(segment, f"NAT+{segment.value(0)}", "a nationality other than the current one (NAT+2)")

    def _rff(self, segment: Segment) -> None:
        field = _RFF_FIELDS.get(segment.value(0, 0))
        if field is not None:
            self._set(field, code(segment.value(0, 1)), segment=segment)
        elif (found := reference(segment, self._log)) is not None:
            self._references.append(found)

    def _doc(self, segment: Segment) -> None:
        self._seen_document = True
        self._document = None
        type_code, number = code(segment.value(0, 0)), code(segment.value(1, 0))
        problem = ""
        if not type_code:
            problem = "has no document type (expected P passport, V visa, I identity card ...)"
        elif not fits(TravelDocumentType, "TypeCode", type_code):
            problem = f"has document type {type_code!r}; expected {EXPECTED['TypeCode']}"
        elif not number:
            problem = "has no document number"
        elif not fits(TravelDocumentType, "ID", number):
            problem = f"has document number {number!r}; expected {EXPECTED['ID']}"
        if problem:
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{segment} {problem}. This travel document of "
                f"{self._fields.get('Surname', 'the person')} is left out with its DTM+36 and LOC+91.",
                at=segment,
            )
            return
        self._document = {"TypeCode": type_code, "ID": number}
        self._documents.append(self._document)

    def _open_document(self, segment: Segment) -> bool:
        if not self._seen_document:
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{segment} belongs to a travel document but no DOC segment precedes it; ignored.",
                at=segment,
            )
        return self._seen_document

    def _set(
        self, field: str, value: str, *, segment: Segment, target: dict[str, object] | None = None
    ) -> None:
        if not value:
            return
        into = self._fields if target is None else target
        model: type[BaseModel] = PersonV1_1Type if target is None else TravelDocumentType
        if field in into:
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{segment} gives a second {field} {value!r}; the model holds one, so the first "
                f"({into[field]!r}) is kept.",
                at=segment,
            )
        elif fits(model, field, value):
            into[field] = value
        else:
            self._log.warn(
                "PAXLST_BAD_VALUE",
                f"{segment} gives {field} {value!r}; expected {EXPECTED.get(field, 'a valid value')}. "
                "The value is left out.",
                at=segment,
            )
