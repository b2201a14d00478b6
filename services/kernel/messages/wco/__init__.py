"""WCO Data Model 3.6 messages as DMS structures them: ``customs.declaration`` 2.0 (DEC) and
``customs.response`` 2.0 (RES).

The modules follow the declaration from the leaves up: ``codes`` and ``datatypes`` (code
lists, simple types, amounts, measures, date-times), ``parties``, ``transport``,
``commodity``, ``goods`` (the goods item), ``shipment``, ``declaration`` (the header and the
root), ``metadata`` (the DMS wrapper's data) and ``response``.
"""
