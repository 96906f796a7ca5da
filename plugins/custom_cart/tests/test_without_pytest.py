"""ecom demo runs the Custom Cart's fake from a plain install, where pytest is not installed."""

from __future__ import annotations

import subprocess
import sys

BLOCK_PYTEST = """
import sys
sys.modules["pytest"] = None  # as on a machine with ecom installed without its test extra
from ecom.plugins import get_driver
fake = get_driver("custom_cart").call("fake_cart")
print(type(fake).__name__)
"""


def test_the_fake_cart_loads_where_pytest_is_not_installed():
    done = subprocess.run([sys.executable, "-c", BLOCK_PYTEST], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
