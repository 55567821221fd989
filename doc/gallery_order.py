"""The order of the examples in the gallery: the order a reader meets the ideas.

sphinx-gallery sorts a gallery's scripts with a key class that it imports by
name (``within_subsection_order`` in ``conf.py``); a name keeps the
configuration picklable, which Sphinx needs to cache it.
"""

READING_ORDER = (
    "plot_ae_vs_pca.py",
    "plot_grid_search.py",
    "plot_denoising.py",
    "plot_variational.py",
    "plot_tutorial_figures.py",
    "plot_anomaly_scores.py",
    "plot_sparse_text.py",
    "plot_custom_model.py",
    "plot_saving.py",
    "plot_saving_pipeline.py",
)


class ReadingOrder:
    """Sort key: the scripts of ``READING_ORDER`` first, in order, then the rest."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in READING_ORDER:
            return (READING_ORDER.index(filename), filename)
        return (len(READING_ORDER), filename)

    def __repr__(self):
        # sphinx-gallery compares configurations by their repr between builds.
        return f"<{type(self).__name__}>"
