"""Every table of every area, for what needs the whole schema at once: the Alembic
environment (``alembic check``, ``fuzhi db check``) and the tests.

Importing this module registers each area's models on ``Base.metadata``; no area imports it,
so an area's models never depend on another area's by accident.
"""

from __future__ import annotations

from . import models
from .access import models as access_models
from .audit import models as audit_models
from .base import Base
from .contracts import models as contract_models
from .documents import models as documents_model
from .idempotency import models as idempotency_models
from .imports import models as import_models
from .keys import models as key_models
from .notices import models as notice_models
from .payouts import models as payout_models
from .people import labour_models, org_models, reach_models
from .policy import models as policy_models
from .sweep import models as sweep_models
from .timerules import models as timerule_models

# The modules that hold tables; the layering test checks that none is missing.
MODEL_MODULES = (
    models,
    access_models,
    audit_models,
    contract_models,
    documents_model,
    import_models,
    idempotency_models,
    key_models,
    labour_models,
    notice_models,
    org_models,
    payout_models,
    policy_models,
    reach_models,
    sweep_models,
    timerule_models,
)
metadata = Base.metadata

__all__ = ["MODEL_MODULES", "Base", "metadata"]
