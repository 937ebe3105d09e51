"""The ``kustodia`` command line: commands receive the use cases from the composition root."""
