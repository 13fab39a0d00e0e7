"""What Litestar cannot infer for the agent API's OpenAPI document: the multipart evidence
upload and the binary downloads (evidence files, claim documents as PDF)."""

from dataclasses import dataclass

from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)

from store.claims import KINDS, SIGNATURES

BINARY = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


@dataclass
class EvidenceUploadOperation(Operation):
    """The multipart form as the handler reads it: a file and its kind (the handler checks both)."""

    def __post_init__(self) -> None:
        form = Schema(
            type=OpenAPIType.OBJECT,
            required=["file"],
            properties={
                "file": BINARY,
                "kind": Schema(
                    type=OpenAPIType.STRING, enum=list(KINDS), default="other", description="材料类别"
                ),
            },
            additional_properties=False,
        )
        if isinstance(self.request_body, RequestBody):
            self.request_body.content = {"multipart/form-data": OpenAPIMediaType(schema=form)}


@dataclass
class EvidenceDownloadOperation(Operation):
    """The file comes back as what its content is: PDF, JPEG or PNG."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {media: OpenAPIMediaType(schema=BINARY) for _, media, _ in SIGNATURES}


@dataclass
class PdfOperation(Operation):
    """The document comes back as a PDF."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            ok.content = {"application/pdf": OpenAPIMediaType(schema=BINARY)}
