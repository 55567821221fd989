"""pytest set-up for the doctests in skae/: plots render off screen."""

import pytest


@pytest.fixture(autouse=True)
def _offscreen_matplotlib(request):
    """Draw the docstring examples' plots without a display, as the tests do."""
    if isinstance(request.node, pytest.DoctestItem):
        import matplotlib

        matplotlib.use("Agg")
