"""Where payee-side and platform payouts go, resolved by the use case before a command."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from kustodia_domain.shared.clabe import Clabe
from kustodia_domain.shared.errors import RuleViolationError
from kustodia_domain.shared.ids import UserId


class MissingPayoutAccountError(RuleViolationError):
    """A payee or broker has no payout account on file, so they cannot be paid."""

    code = "escrow.payout_account_missing"


@attrs.frozen
class PayoutDirectory:
    """Current payout CLABEs of the payee side, and the platform's treasury CLABE.

    The payee's *current* account is used at each payout (the legacy system paid stale
    snapshots); changes shortly before a release are the fraud engine's concern.
    """

    accounts: Mapping[UserId, Clabe]
    treasury: Clabe

    def destination(self, user_id: UserId) -> Clabe:
        """The payout CLABE of ``user_id``.

        Raises:
            MissingPayoutAccountError: the user has no payout account.
        """
        try:
            return self.accounts[user_id]
        except KeyError:
            raise MissingPayoutAccountError(
                f"user {user_id} has no payout account on file"
            ) from None
