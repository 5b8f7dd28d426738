"""Stages: pure functions over arrays, one concept per module, shared by every engine.

segment -> normalize -> exact fingerprints -> shingle -> minhash -> lsh -> verify -> cluster. Nothing here
imports an engine, a store, a report or the command line (but for type hints).
"""
