"""The DMS ``MetaData`` wrapper's own data, and where a WCO file pointed at its schemas.

In WCO XML the wrapper is the root: its data elements, then the ``Declaration`` (or the
``Response`` elements). In the canonical form the data elements sit under a ``MetaData``
element beside the ``Declaration``. DMS types them as tokens and strings without facets,
so they may be empty and may carry surrounding white space (real files have
``v2.1`` followed by a line break); both are kept.
"""

from pydantic import Field

from services.kernel.messages import types as t
from services.kernel.messages.wco import codes


class MetaDataType(t.Message):
    """Document metadata (DMS ``MetaData``): which WCO data model version and customisation."""

    WCODataModelVersionCode: str | None = Field(default=None, description="WCO Data Model version, e.g. 3.6")
    WCOTypeName: str | None = Field(default=None, description="WCO message type, e.g. DEC or RES")
    ResponsibleCountryCode: codes.CountryCodeOrEmpty | None = Field(
        default=None, description="country whose customisation of the data model applies")
    ResponsibleAgencyName: str | None = None
    AgencyAssignedCustomizationCode: str | None = None
    AgencyAssignedCustomizationVersionCode: str | None = Field(default=None, description="e.g. v2.1")


class SchemaLocationHintType(t.Message):
    """An ``xsi:schemaLocation`` a WCO file carried, kept so that the file can be written back
    as it came. swx never loads a schema from it."""

    Path: str = Field(max_length=256, pattern=r"^(/[A-Za-z_][A-Za-z0-9_.-]*(\[[1-9][0-9]{0,5}\])?)+$",
                      description="the WCO element that carried it, e.g. /MetaData or /MetaData/Declaration")
    Value: str = Field(max_length=2048, description="the attribute's value as written")
