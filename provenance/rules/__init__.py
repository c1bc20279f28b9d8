"""What every verifier must refuse, in one place.

This package needs nothing beyond the standard library, ``cryptography`` and
``provenance.errors``: the store, the audit and the standalone offline
verifier all read their rules from here, so none of them can be laxer than
the others.
"""
