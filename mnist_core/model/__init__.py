"""What a model is: its architectures and recipes (``architectures``), custom layers (``layers``), losses and
optimiser (``objectives``), and calibrated confidence (``calibration``). Each imports Keras; nothing is imported here."""
