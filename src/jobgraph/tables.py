"""Every domain's tables in one MetaData: each model module imported once, so that
``Base.metadata`` knows them all (for migrations, their drift check and the database
tests). Above the domains, as the assembly is: ``jobgraph.db`` knows none of them."""

from jobgraph.agreements import models as _agreements  # noqa: F401
from jobgraph.communications import models as _communications  # noqa: F401
from jobgraph.db.models import Base
from jobgraph.identity import models as _identity  # noqa: F401
from jobgraph.jobs import models as _jobs  # noqa: F401
from jobgraph.notifications import models as _notifications  # noqa: F401
from jobgraph.policy import models as _policy  # noqa: F401
from jobgraph.privacy import models as _privacy  # noqa: F401
from jobgraph.resumes import models as _resumes  # noqa: F401
from jobgraph.tenancy import models as _tenancy  # noqa: F401
from jobgraph.webhooks import models as _webhooks  # noqa: F401
from jobgraph.work import models as _work  # noqa: F401

metadata = Base.metadata
# Tables keyed by pool that are not a pool's data: the registry and the data versions.
_POOL_KEYED = ("tenants", "pool_data_versions")
POOL_OWNED_TABLES = tuple(
    name
    for name, table in metadata.tables.items()
    if "pool_id" in table.c and name not in _POOL_KEYED
)
