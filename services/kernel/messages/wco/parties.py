"""Parties, their addresses and how to reach them, as the DMS declaration structures them.

Where DMS gives several roles the same structure, one class serves them all (a declarant
and a seller are both a ``TraderType``); where DMS differs, so do the classes: the
consignor under ``Consignment`` has an address with a type code, the goods location's
address has no country subdivision. WCO class ids are in the docstrings.
"""

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco import codes
from services.kernel.messages.wco.datatypes import Code3, Code4, Code9, Text9, Text17, Text35, Text50, Text70


class AddressType(t.Message):
    """Address (04A), as every party but the consignment's consignor has it."""

    CityName: Text35 | None = None
    CountryCode: codes.CountryCode | None = None
    CountrySubDivisionCode: Code9 | None = None
    CountrySubDivisionName: Text35 | None = None
    Line: Text70 | None = None
    PostcodeID: Text9 | None = Field(default=None, description="postcode as written, e.g. BO1 234")


class TypedAddressType(t.Message):
    """Address (04A) of the consignor in the transport consignment, with an address type code."""

    TypeCode: Code3 | None = None
    CityName: Text35 | None = None
    CountryCode: codes.CountryCode | None = None
    CountrySubDivisionCode: Code9 | None = None
    CountrySubDivisionName: Text35 | None = None
    Line: Text70 | None = None
    PostcodeID: Text9 | None = None


class GoodsLocationAddressType(t.Message):
    """Address (04A) of the place where the goods can be examined."""

    TypeCode: Code3 | None = Field(default=None, description="how the location is identified (national code)")
    CityName: Text35 | None = None
    CountryCode: codes.CountryCode | None = None
    Line: Text70 | None = None
    PostcodeID: Text9 | None = None


class ContactType(t.Message):
    """Contact person (34A)."""

    Name: Text70 | None = None


class CommunicationType(t.Message):
    """Communication (25A): a telephone number, e-mail address ... and what kind it is."""

    ID: Text50 | None = None
    TypeCode: Code3 | None = Field(default=None, description="UN/EDIFACT 3155, e.g. TE telephone, EM e-mail")


class PartyType(t.Message):
    """A party known by name, identifier and address: the submitter (17B), consignee (27A),
    consignor (30A) of the goods shipment, payer (56B) and surety (19B)."""

    Name: Text70 | None = None
    ID: Text17 | None = Field(default=None, description="identifier, e.g. an EORI or tax number")
    Address: AddressType | None = None


class TraderType(t.Message):
    """A party with a contact: the declarant (57B), exporter (57A), importer (74A), buyer (16A)
    and seller (09B)."""

    Name: Text70 | None = None
    ID: Text17 | None = Field(default=None, description="identifier, e.g. an EORI or tax number")
    Address: AddressType | None = None
    Contact: ContactType | None = None
    Communication: CommunicationType | None = None


class ConsignmentConsignorType(t.Message):
    """Consignor (30A) as the transport consignment and its items name it."""

    Name: Text70 | None = None
    ID: Text17 | None = None
    Address: TypedAddressType | None = None


class CarrierType(t.Message):
    """Carrier (18A)."""

    Name: Text70 | None = None
    ID: Text17 | None = None
    Address: AddressType | None = None
    Communication: CommunicationType | None = None


class AgentType(t.Message):
    """Agent (05A): who acts for the declarant, and how (direct or indirect representation)."""

    Name: Text70 | None = None
    ID: Text17 | None = None
    FunctionCode: Code3 | None = Field(default=None, description="status of the representative, e.g. 2 direct, "
                                                                 "3 indirect representation")
    Address: AddressType | None = None


class RolePartyType(t.Message):
    """A party known by identifier and role: an AEO mutual recognition party (16C) or a domestic
    duty and tax party (55B)."""

    ID: Text17 | None = None
    RoleCode: Code3 | None = None


class AuthorisationHolderType(t.Message):
    """Authorisation holder (17C): who holds an authorisation (AEO status, a customs warehouse,
    a simplified procedure ...) and what kind it is."""

    ID: Text17 | None = Field(default=None, description="the holder, e.g. its EORI")
    CategoryCode: Code4 | None = Field(default=None, description="kind of authorisation, e.g. AEOC, CGU, EIR")


class OfficeType(t.Message):
    """A customs office known by its identifier: exit (56A), presentation (15C), supervising (97B)
    and guarantee (14C) office."""

    ID: Text17 | None = None


class DocumentSubmitterType(t.Message):
    """Submitter (17B) of an additional document, e.g. who issued a licence, by name and role."""

    Name: Text70 | None = None
    RoleCode: Code3 | None = None
