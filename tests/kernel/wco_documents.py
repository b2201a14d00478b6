"""WCO DM 3.6 declarations written here, for the tests that must run without ../shared.

A Thai exporter declares Hom Mali rice and natural rubber for Ho Chi Minh City, in the DMS
form: the ``MetaData`` wrapper (or a bare ``Declaration``), the DEC namespace as default,
``DateTimeString`` in the declaration data-set namespace. Each goods item spans several
lines, so that a document of thousands of items has lines past 65,535.
"""

MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
DEC_DS = "urn:wco:datamodel:WCO:Declaration_DS:DMS:2"
RES = "urn:wco:datamodel:WCO:RES-DMS:2"

GOODS = [("Thai Hom Mali jasmine rice, milled", "10063000", "9000.00", "TH"),
         ("Natural rubber STR 20, bales", "40012200", "36000.00", "TH")]


def goods_item(sequence: int, *, origin: str | None = None, description_attributes: str = "") -> str:
    description, code, amount, country = GOODS[(sequence - 1) % len(GOODS)]
    return f"""    <GovernmentAgencyGoodsItem>
      <SequenceNumeric>{sequence}</SequenceNumeric>
      <Commodity>
        <Description{description_attributes}>{description}</Description>
        <Classification>
          <ID>{code}</ID>
          <IdentificationTypeCode>TSP</IdentificationTypeCode>
        </Classification>
        <InvoiceLine>
          <ItemChargeAmount currencyID="USD">{amount}</ItemChargeAmount>
        </InvoiceLine>
      </Commodity>
      <Origin>
        <CountryCode>{origin or country}</CountryCode>
      </Origin>
    </GovernmentAgencyGoodsItem>
"""


def declaration_body(*, items: int = 2, origins: dict[int, str] | None = None, description_attributes: str = "",
                     namespaces: str = "") -> str:
    """A ``Declaration`` element (DEC as its default namespace when ``namespaces`` says so)."""
    goods = "".join(goods_item(n, origin=(origins or {}).get(n), description_attributes=description_attributes)
                    for n in range(1, items + 1))
    return f"""<Declaration{namespaces}>
  <FunctionCode>9</FunctionCode>
  <FunctionalReferenceID>SRE-2024-000123</FunctionalReferenceID>
  <IssueDateTime>
    <p1:DateTimeString formatCode="304">20240314093000+07</p1:DateTimeString>
  </IssueDateTime>
  <TypeCode>EXA</TypeCode>
  <GoodsItemQuantity>{items}</GoodsItemQuantity>
  <Exporter>
    <Name>Siam Rubber &amp; Rice Co., Ltd.</Name>
    <ID>TH0105536000011</ID>
  </Exporter>
  <GoodsShipment>
{goods}  </GoodsShipment>
</Declaration>"""


def wco_declaration(*, items: int = 2, version: str | None = "3.6", type_name: str | None = "DEC",
                    origins: dict[int, str] | None = None, description_attributes: str = "",
                    wrapped: bool = True, body: str | None = None) -> bytes:
    """A WCO DM declaration: ``MetaData`` wrapping a ``Declaration`` (``body`` replaces it), or a
    bare ``Declaration``; ``version`` / ``type_name`` None leave that metadata field out."""
    if not wrapped:
        namespaces = f' xmlns="{DEC}" xmlns:p1="{DEC_DS}"'
        declaration = declaration_body(items=items, origins=origins, description_attributes=description_attributes,
                                       namespaces=namespaces)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{declaration}\n'.encode()
    fields = ""
    if version is not None:
        fields += f"  <md:WCODataModelVersionCode>{version}</md:WCODataModelVersionCode>\n"
    if type_name is not None:
        fields += f"  <md:WCOTypeName>{type_name}</md:WCOTypeName>\n"
    fields += "  <md:ResponsibleCountryCode>TH</md:ResponsibleCountryCode>\n"
    inner = body if body is not None else declaration_body(items=items, origins=origins,
                                                           description_attributes=description_attributes)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<md:MetaData xmlns:md="{MD}" xmlns="{DEC}" xmlns:p1="{DEC_DS}">\n{fields}{inner}\n</md:MetaData>\n'
            ).encode()


def line_of(data: bytes, text: str, *, occurrence: int = 1) -> int:
    """The line (from 1) of the ``occurrence``-th appearance of ``text`` in ``data``."""
    at = -1
    for _ in range(occurrence):
        at = data.index(text.encode(), at + 1)
    return data.count(b"\n", 0, at) + 1
