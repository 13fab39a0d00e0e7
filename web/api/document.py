"""The OpenAPI document says what the server refuses: a request body whose struct forbids unknown
fields is ``additionalProperties: false`` (Litestar leaves it open, so a client — or Schemathesis —
reading the document expects extra fields to be accepted, and the server refuses them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

# Litestar's own plugin for msgspec structs, extended rather than rewritten.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition


class ClosedStructs(StructSchemaPlugin):
    """Structs declared ``forbid_unknown_fields=True`` (every body the API accepts) are closed."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info: Any = msgspec.inspect.type_info(field_definition.type_)
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
