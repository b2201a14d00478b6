"""A declaration's lane reasons and outcome, and a certificate's outcome, are JSON columns:
written and read as lists and objects, and a database whose rows held them as text keeps
every value through the migration that retypes them."""

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session

from services.customs.app import SCHEMA
from services.customs.models import CertificateRecord, DeclarationRecord
from services.kernel.migrate import alembic_config, upgrade

REASONS = ["consignee on the watch list", "first shipment of this HS heading"]
OUTCOME = {"response_id": "VNRES0001", "function": "accepted", "errors": [], "duties": [{"amount": "12.500"}]}
LODGED_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_rows_written_as_text_before_the_json_columns_read_back_as_lists_and_objects(database_url: str) -> None:
    command.upgrade(alembic_config(migrations=SCHEMA.migrations, url=database_url), "0005")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO declaration (mrn, country, declarant, lrn, type_code, direction, export_country, "
                "destination_country, status, lane, lane_reasons, conversation_id, document_type, content_digest, "
                "document, outcome, lodged_at) VALUES ('26THA00000000001X', 'TH', 'Siam Exports', 'LRN-1', 'EXD', "
                "'EX', 'TH', 'VN', 'released', 'yellow', :reasons, 'c-1', 'customs.declaration/1.1', 'd', '{}', "
                ":outcome, :at)"), {"reasons": json.dumps(REASONS), "outcome": json.dumps(OUTCOME), "at": LODGED_AT})
            connection.execute(text(
                "INSERT INTO certificate_of_origin (id, reference_id, form_type, export_country, import_country, "
                "declaration_mrn, content_digest, outcome, status, document, received_at) VALUES ('cert-1', "
                "'TH-D-1', 'D', 'TH', 'VN', '26THA00000000001X', 'd', :outcome, 'in-force', '{}', :at)"),
                {"outcome": json.dumps(OUTCOME), "at": LODGED_AT})
    finally:
        engine.dispose()

    upgrade(SCHEMA, database_url)

    engine = create_engine(database_url)
    try:
        types = {column["name"]: type(column["type"]).__name__ for column in inspect(engine).get_columns("declaration")}
        assert types["lane_reasons"] == types["outcome"] == "JSON"
        with Session(engine) as session:
            declaration = session.get(DeclarationRecord, "26THA00000000001X")
            certificate = session.get(CertificateRecord, "cert-1")
            assert declaration is not None
            assert certificate is not None
            assert (declaration.lane_reasons, declaration.outcome, certificate.outcome) == (REASONS, OUTCOME, OUTCOME)
            declaration.outcome = {**OUTCOME, "function": "rejected"}
            session.add(declaration)
            session.commit()
        with Session(engine) as session:
            again = session.get(DeclarationRecord, "26THA00000000001X")
            assert again is not None
            assert again.outcome is not None
            assert again.outcome["function"] == "rejected"
    finally:
        engine.dispose()
