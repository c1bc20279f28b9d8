"""The ``prov`` command line: parse, call the library, map errors to exit codes."""
