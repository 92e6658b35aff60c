"""Offline stand-ins for the internet: the mini EarSense site and local copies of the APIs it would call.

Nothing in a production stage imports this package; the command line and the flow start the mini
site when no ``--site`` is given, and the tests and benchmarks use the local API servers.
"""
