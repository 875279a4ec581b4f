"""The metrics engine: FID, KID, LPIPS, content/style loss and ArtFID of style-transfer outputs.

Import what you need from its modules; this package itself imports nothing, so that the
catalog (``evaluator.metrics.catalog``: names, labels, directions, versions) loads with the
standard library alone and torch loads only where a network runs::

    from evaluator.metrics.suite import MetricSuite          # torch
    suite = MetricSuite.load(weights_dir, device=None)      # once per process
    result = suite.score(pairs, outputs_dir, content_dir, style_dir, cache_dir, dataset_key)
    suite.reference_stats(pairs, content_dir, style_dir, cache_dir, dataset_key)  # at publish
    suite.backbone_digests()                                 # sha256 per backbone, file or seeded

``score`` is ``start`` + ``update`` per batch + ``compute`` (see ``suite`` and ``scores``).
"""
