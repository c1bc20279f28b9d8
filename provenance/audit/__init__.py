"""``prov verify``: the audit of a store from its stored bytes up.

It reads the store (``provenance.store``), re-applies the acceptance rules
(``provenance.rules``), recomputes the log (``provenance.log``) and compares
the views with a fresh replay (``provenance.projections``). Nothing below it
imports it.
"""

from provenance.audit.auditor import audit
from provenance.audit.report import AuditReport, Problem, Trusted

__all__ = ["AuditReport", "Problem", "Trusted", "audit"]
