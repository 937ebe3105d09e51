"""Disputes for their parties and admins: the dispute, its messages and its evidence."""

from __future__ import annotations

from typing import Annotated

import attrs
from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody

from kustodia_domain.disputes.model import MAX_EVIDENCE_BYTES
from kustodia_domain.services.dispute_commands import AddEvidence, PostDisputeMessage
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.ids import UserId
from kustodia_entrypoints.http.deps import PrincipalDep, UseCasesDep
from kustodia_entrypoints.http.idempotency import OPT
from kustodia_entrypoints.http.schemas.disputes import (
    DisputeOut,
    EvidenceOut,
    MessageIn,
    MessageList,
    MessageOut,
)
from kustodia_entrypoints.http.uploads import check_content


@attrs.frozen(kw_only=True)
class EvidenceForm:
    """The multipart form: one file in the field ``file``."""

    file: UploadFile


# A form model (not a bare UploadFile) makes a missing or misnamed field a 422 naming it.
Upload = Annotated[EvidenceForm, Body(media_type=RequestEncodingType.MULTI_PART)]
MAX_UPLOAD_BYTES = MAX_EVIDENCE_BYTES + 65_536
"""The domain's 10 MiB limit plus room for the multipart envelope; bigger bodies get 413."""


class DisputeController(Controller):
    path = "/v1/disputes"
    tags = ("disputes",)

    @get("/{dispute_id:str}", summary="A dispute with its stored assessment (or null)")
    async def get_dispute(
        self, dispute_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> DisputeOut:
        return DisputeOut.of(await uc.disputes.get(principal.viewer, dispute_id))

    @get("/{dispute_id:str}/messages", summary="The dispute's messages")
    async def messages(
        self, dispute_id: FromPath[str], principal: PrincipalDep, uc: UseCasesDep
    ) -> MessageList:
        dispute = await uc.disputes.get(principal.viewer, dispute_id)
        return MessageList(items=[MessageOut.of(m) for m in dispute.messages])

    @post(
        "/{dispute_id:str}/messages",
        status_code=201,
        opt={OPT: True},
        summary="Write in the dispute",
    )
    async def post_message(
        self,
        dispute_id: FromPath[str],
        data: JSONBody[MessageIn],
        principal: PrincipalDep,
        uc: UseCasesDep,
    ) -> MessageOut:
        message = await uc.platform.party.post_dispute_message.execute(
            PostDisputeMessage(
                dispute_id=dispute_id,
                actor_id=UserId(principal.id),
                is_admin=principal.is_admin,
                body=data.body,
            )
        )
        return MessageOut.of(message)

    @post(
        "/{dispute_id:str}/evidence",
        status_code=201,
        opt={OPT: True},
        request_max_body_size=MAX_UPLOAD_BYTES,
        summary="Upload an evidence file (multipart field `file`)",
    )
    async def upload_evidence(
        self, dispute_id: FromPath[str], data: Upload, principal: PrincipalDep, uc: UseCasesDep
    ) -> EvidenceOut:
        """PDF, PNG, JPEG, WebP or plain text up to 10 MiB; stored with its SHA-256."""
        upload = data.file
        if not isinstance(upload, UploadFile):
            # A multipart field named ``file`` that carries a plain value, not a file part.
            raise ValidationError("the field file must be a file upload", field="file")
        content = await upload.read()
        content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip()
        check_content(content, content_type)
        evidence = await uc.platform.party.add_evidence.execute(
            AddEvidence(
                dispute_id=dispute_id,
                actor_id=UserId(principal.id),
                is_admin=principal.is_admin,
                filename=upload.filename or "evidence",
                content_type=content_type,
                data=content,
            )
        )
        return EvidenceOut.of(evidence)
