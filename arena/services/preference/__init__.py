"""The human preference arena (issue 17).

``ratings`` (Bradley–Terry fit, vote bootstrap, tied ranks, Kendall's τ; numpy only),
``matchmaking`` (which pair a voter sees next), ``board`` (the arena's entries and the stored
ratings in SQL), ``votes`` (matches, votes, rate limits, voiding, the research export),
``jobs`` (the RQ job that re-rates a competition after votes land).
"""
