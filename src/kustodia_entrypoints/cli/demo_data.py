"""Demo users and escrows for a fresh sandbox, created through the use cases."""

from __future__ import annotations

import attrs

from kustodia_domain.escrow.terms import CreatorRole, EscrowKind
from kustodia_domain.identity.model import Role
from kustodia_domain.services.auth import SignUp
from kustodia_domain.services.open_escrow import OpenEscrow
from kustodia_domain.services.use_cases import UseCases
from kustodia_domain.services.users import SetPayoutAccount
from kustodia_domain.shared.errors import ConflictError
from kustodia_domain.shared.ids import UserId


@attrs.frozen(kw_only=True)
class DemoLogin:
    email: str
    password: str
    role: str
    note: str


# Published demo logins of a local sandbox, printed by `kustodia serve`.
DEMO_LOGINS = (
    DemoLogin(email="ana@demo.kustodia.mx", password="ana-demo-pass", role="user", note="buyer"),
    DemoLogin(email="luis@demo.kustodia.mx", password="luis-demo-pass", role="user", note="seller"),
    DemoLogin(email="ops@demo.kustodia.mx", password="ops-demo-pass", role="admin", note="admin"),
    DemoLogin(
        email="ops2@demo.kustodia.mx",
        password="ops2-demo-pass",
        role="admin",
        note="second admin (four eyes)",
    ),
)
SELLER_PAYOUT_CLABE = "002115016003269411"
_NAMES = {
    "ana": "Ana Compradora",
    "luis": "Luis Vendedor",
    "ops": "Ops Admin",
    "ops2": "Ops Admin Dos",
}


async def seed_demo(uc: UseCases) -> bool:
    """Create the demo logins and two escrows; ``False`` if they were already there."""
    ids: dict[str, str] = {}
    for login in DEMO_LOGINS:
        handle = login.email.split("@")[0]
        try:
            user = await uc.platform.party.sign_up.execute(
                SignUp(
                    email=login.email,
                    password=login.password,
                    full_name=_NAMES[handle],
                    role=Role(login.role),
                )
            )
        except ConflictError:
            return False
        ids[handle] = user.id
    await uc.platform.party.set_payout_account.execute(
        SetPayoutAccount(
            user_id=UserId(ids["luis"]), clabe=SELLER_PAYOUT_CLABE, holder_name=_NAMES["luis"]
        )
    )
    for kind, description in (
        (EscrowKind.STANDARD, "Bicicleta de ruta"),
        (EscrowKind.DUAL_APPROVAL, "Diseño de logotipo"),
    ):
        await uc.platform.party.open_escrow.execute(
            OpenEscrow(
                creator_id=UserId(ids["ana"]),
                kind=kind,
                creator_role=CreatorRole.PAYER,
                counterparty_email=DEMO_LOGINS[1].email,
                amount_minor=850_000,
                currency="MXN",
                custody_percent=100,
                custody_days=7,
                description=description,
            )
        )
    return True
