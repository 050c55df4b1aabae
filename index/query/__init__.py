"""The question flow, one way through small typed stages:

understand (understand.py: what is asked, of which term or work) -> retrieve (retrieve.py:
passages, and the question heading a question restates) -> rank sentences (rank.py) ->
compose (compose.py: the quoted answer, its sources, its code) -> abstain (abstain.py).
Each stage takes and returns dataclasses and reads the loaded bundle through `Corpus`
(corpus.py); none is handed the Engine, which only loads the bundle and runs them (ask.py).
"""
