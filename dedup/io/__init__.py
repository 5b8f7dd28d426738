"""Reading corpora (:mod:`dedup.io.corpus`) and writing outputs whole or not at all (:mod:`dedup.io.output`)."""
