"""Names and types of what handlers receive by dependency injection.

Every injected parameter is a ``NamedDependency``: Litestar then fails at start-up if a provider
is missing instead of silently treating the parameter as a query string; ``SkipValidation``
because these are the app's own objects, not client input.
"""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import SkipValidation

from kustodia_domain.services.use_cases import UseCases
from kustodia_entrypoints.http.config import HttpConfig
from kustodia_entrypoints.http.converter import OrjsonConverter
from kustodia_entrypoints.http.metrics import Metrics
from kustodia_entrypoints.http.principal import Principal
from kustodia_entrypoints.http.services import HttpServices
from kustodia_entrypoints.http.tokens import AccessTokens

UseCasesDep = NamedDependency[SkipValidation[UseCases]]
PrincipalDep = NamedDependency[SkipValidation[Principal]]
ServicesDep = NamedDependency[SkipValidation[HttpServices]]
TokensDep = NamedDependency[SkipValidation[AccessTokens]]
ConfigDep = NamedDependency[SkipValidation[HttpConfig]]
MetricsDep = NamedDependency[SkipValidation[Metrics]]
ConverterDep = NamedDependency[SkipValidation[OrjsonConverter]]
