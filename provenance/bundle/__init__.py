"""Dispute bundles: one file holding a subject's record, proved against one checkpoint.

``export`` builds a bundle from a store, ``reader`` rebuilds the dispute view
from a bundle alone, and ``offline_verify`` checks a bundle with nothing but
the log's public key: it imports only the standard library and
``cryptography``, and runs as ``python -m provenance.bundle.offline_verify``
(or, copied alone, ``python -m offline_verify``). Nothing is imported here,
so that running the verifier as a module does not import it twice. The
format is ``docs/spec/bundle.md``.
"""
