"""Try it (issue 17): visitors stylize their own photo with an opted-in leaderboard model.

``catalog`` lists what a visitor may pick (opted-in models in board order, public styles);
``requests`` takes a request in (images re-encoded by ``evaluator.tryit_images`` first,
rate limits, the row, the ``tryit`` queue). The run itself is ``evaluator.tryit_job``.
"""
