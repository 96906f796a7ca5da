"""What ecom gives test suites and fakes: the pytest plugin, the conformance suite, the Test Cart.

- :mod:`ecom.testing.plugin`: ecom's pytest plugin (entry point ``pytest11``), with the
  ``ecom_db``, ``ecom_cli`` and ``ecom_plugins`` fixtures;
- :func:`ecom.testing.conformance.driver_conformance`: the suite a driver runs against its fake;
- :mod:`ecom.testing.testcart`: the Test Cart driver and its fake, which other fakes build on.

This package itself imports nothing, so a fake cart that uses the Test Cart's records (the Custom
Cart's reference server, run by ``ecom demo``) works where pytest is not installed.
"""
